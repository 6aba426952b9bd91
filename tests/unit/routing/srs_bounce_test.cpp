// SRS bounce routing at RCPT: reversed to the original sender when hash and age check out,
// refused (never relayed) when forged, expired or not a bounce under bounces_only.
#include <gtest/gtest.h>

#include "routing/router.hpp"

namespace hikyaku::routing {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

const sys_days kToday = sys_days{days{20000}};

SrsRouting srs_at(sys_days today, bool bounces_only = false) {
  SrsRouting s;
  s.domain = "fwd.example.net";
  s.keys.secrets = {"new-secret", "old-secret"};
  s.max_age_days = 21;
  s.bounces_only = bounces_only;
  s.today = [today] { return today; };
  return s;
}

core::Address srs_address_for(const std::string& sender, sys_days day, std::string secret = "new-secret") {
  srs::SrsKeys keys{{std::move(secret)}};
  return *srs::forward(*core::parse_mailbox(sender, false), keys, "fwd.example.net", day);
}

core::Envelope bounce_envelope() { return core::Envelope{}; }  // MAIL FROM:<>

TEST(SrsBounce, ValidAddressForwardsToOriginalSender) {
  Router router({}, srs_at(kToday));
  auto d = router.route(bounce_envelope(), srs_address_for("alice@origin.example", kToday));
  EXPECT_EQ(d.disposition, Disposition::forward);
  ASSERT_EQ(d.destinations.size(), 1u);
  EXPECT_EQ(d.destinations[0].str(), "alice@origin.example");
  EXPECT_EQ(d.reply.code, 250);
}

TEST(SrsBounce, OldSecretStillVerifies) {
  Router router({}, srs_at(kToday));
  auto d = router.route(bounce_envelope(), srs_address_for("alice@origin.example", kToday, "old-secret"));
  EXPECT_EQ(d.disposition, Disposition::forward);
}

TEST(SrsBounce, ForgedHashIsRefusedNeverRelayed) {
  Router router({}, srs_at(kToday));
  auto forged = srs_address_for("alice@origin.example", kToday, "attacker-secret");
  auto d = router.route(bounce_envelope(), forged);
  EXPECT_EQ(d.disposition, Disposition::unknown_user);
  EXPECT_EQ(d.reply.code, 550);
  EXPECT_EQ(d.reply.enhanced, "5.1.1");
  EXPECT_TRUE(d.destinations.empty());
}

TEST(SrsBounce, AgeWindowAtItsBoundary) {
  Router router({}, srs_at(kToday));
  auto at = [&](int age) {
    return router.route(bounce_envelope(), srs_address_for("a@origin.example", kToday - days{age})).disposition;
  };
  EXPECT_EQ(at(20), Disposition::forward);
  EXPECT_EQ(at(21), Disposition::forward);
  EXPECT_EQ(at(22), Disposition::unknown_user);
}

TEST(SrsBounce, PlainLocalPartInSrsDomainIsRefused) {
  Router router({}, srs_at(kToday));
  auto d = router.route(bounce_envelope(), *core::parse_mailbox("postmaster@fwd.example.net", false));
  EXPECT_EQ(d.reply.code, 550);
  EXPECT_TRUE(d.destinations.empty());
}

TEST(SrsBounce, BouncesOnlyRefusesOtherSenders) {
  Router router({}, srs_at(kToday, true));
  core::Envelope env;
  env.mail_from = *core::parse_mailbox("spammer@else.example", false);
  auto d = router.route(env, srs_address_for("alice@origin.example", kToday));
  EXPECT_EQ(d.reply.code, 550);
  EXPECT_EQ(d.reply.enhanced, "5.7.1");
  EXPECT_EQ(router.route(bounce_envelope(), srs_address_for("alice@origin.example", kToday)).disposition,
            Disposition::forward);
}

// [srs] bounces_only, both settings through the configuration: true (the default) refuses a
// non-null sender before any reversal; false forwards it to the original sender.
TEST(SrsBounce, BouncesOnlyFromConfigBothSettings) {
  config::SrsConfig cfg;
  cfg.domain = "fwd.example.net";
  cfg.secrets = {"new-secret"};
  core::Envelope env;
  env.mail_from = *core::parse_mailbox("replayer@else.example", false);
  const auto today = std::chrono::floor<days>(std::chrono::system_clock::now());
  const auto address = srs_address_for("alice@origin.example", today);
  {
    auto s = SrsRouting::from(cfg);
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE(s->bounces_only);  // the default
    EXPECT_EQ(s->keys.hash_length, 6u);
    Router router({}, *s);
    const auto refused = router.route(env, address);
    EXPECT_EQ(refused.disposition, Disposition::reject);
    EXPECT_EQ(refused.reply.code, 550);
    EXPECT_EQ(refused.reply.enhanced, "5.7.1");
    EXPECT_FALSE(refused.srs_reversal_failed);  // nothing was reversed
    EXPECT_EQ(router.route(bounce_envelope(), address).disposition, Disposition::forward);
  }
  cfg.bounces_only = false;
  auto s = SrsRouting::from(cfg);
  ASSERT_TRUE(s.has_value());
  Router router({}, *s);
  const auto d = router.route(env, address);
  EXPECT_EQ(d.disposition, Disposition::forward);
  ASSERT_EQ(d.destinations.size(), 1u);
  EXPECT_EQ(d.destinations[0].str(), "alice@origin.example");
}

TEST(SrsBounce, FailedReversalsAreMarkedForCounting) {
  Router router({}, srs_at(kToday));
  EXPECT_FALSE(router.route(bounce_envelope(), srs_address_for("alice@origin.example", kToday)).srs_reversal_failed);
  EXPECT_TRUE(router.route(bounce_envelope(), *core::parse_mailbox("SRS0=AbCd=AA=x.example=u@fwd.example.net", false))
                  .srs_reversal_failed);
  EXPECT_TRUE(router.route(bounce_envelope(), *core::parse_mailbox("SRS0=broken@fwd.example.net", false))
                  .srs_reversal_failed);
  EXPECT_TRUE(router.route(bounce_envelope(), srs_address_for("alice@origin.example", kToday - days{30}))
                  .srs_reversal_failed);  // expired
  EXPECT_FALSE(router.route(bounce_envelope(), *core::parse_mailbox("info@other.example", false)).srs_reversal_failed);
}

TEST(SrsBounce, WithoutSrsTheDomainIsNotServed) {
  Router router({});
  auto d = router.route(bounce_envelope(), srs_address_for("alice@origin.example", kToday));
  EXPECT_EQ(d.disposition, Disposition::relay_denied);
}

}  // namespace
}  // namespace hikyaku::routing
