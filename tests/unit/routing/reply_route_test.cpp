// RCPT to the reply address of a rewritten From: routed to the author when valid (whatever the
// sender: replies come from people), 550 5.1.1 when forged or expired (at the exact expiry
// boundary), and other local parts of the domain left to SRS and the served domains.
#include <gtest/gtest.h>

#include "routing/router.hpp"
#include "srs/reply_address.hpp"

namespace hikyaku::routing {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

const sys_days kToday = sys_days{days{20000}};

ReplyRouting reply_at(sys_days today, int max_age_days = 90) {
  ReplyRouting r;
  r.domain = "fwd.example.net";
  r.secrets = {"new-secret", "old-secret"};
  r.max_age_days = max_age_days;
  r.today = [today] { return today; };
  return r;
}

core::Address reply_address_for(const std::string& author, sys_days day, std::string secret = "new-secret") {
  return *srs::make_reply_address(*core::parse_mailbox(author, false), {std::move(secret)}, "fwd.example.net", day);
}

core::Envelope from(const std::string& sender) {
  core::Envelope env;
  env.mail_from = *core::parse_mailbox(sender, false);
  return env;
}

TEST(ReplyRoute, ValidAddressForwardsToTheAuthorWhateverTheSender) {
  const Router router({}, std::nullopt, {}, reply_at(kToday));
  for (const auto& env : {from("bob@dest.example"), core::Envelope{}}) {
    const auto d = router.route(env, reply_address_for("alice@origin.example", kToday));
    EXPECT_EQ(d.disposition, Disposition::forward);
    ASSERT_EQ(d.destinations.size(), 1u);
    EXPECT_EQ(d.destinations[0].str(), "alice@origin.example");
    EXPECT_EQ(d.reply.code, 250);
    EXPECT_EQ(d.matched, "reply address");
  }
}

TEST(ReplyRoute, ExpiryAtTheExactBoundary) {
  const core::Address a = reply_address_for("alice@origin.example", kToday);
  // max age 30 days: day 29 and 30 still valid, day 31 refused.
  for (int age : {29, 30}) {
    const Router router({}, std::nullopt, {}, reply_at(kToday + days{age}, 30));
    EXPECT_EQ(router.route(from("bob@dest.example"), a).disposition, Disposition::forward) << age;
  }
  const Router late({}, std::nullopt, {}, reply_at(kToday + days{31}, 30));
  const auto d = late.route(from("bob@dest.example"), a);
  EXPECT_EQ(d.disposition, Disposition::unknown_user);
  EXPECT_EQ(d.reply.code, 550);
  EXPECT_EQ(d.reply.enhanced, "5.1.1");
  EXPECT_NE(d.reply.summary().find("reply address expired"), std::string::npos) << d.reply.summary();
  EXPECT_TRUE(d.srs_reversal_failed);
}

TEST(ReplyRoute, ForgedAddressIsRefusedNeverRelayed) {
  core::Address forged = reply_address_for("alice@origin.example", kToday);
  forged.local.replace(forged.local.find("=alice"), 6, "=mallory");
  const Router router({}, std::nullopt, {}, reply_at(kToday));
  const auto d = router.route(from("spammer@bad.example"), forged);
  EXPECT_EQ(d.disposition, Disposition::unknown_user);
  EXPECT_EQ(d.reply.code, 550);
  EXPECT_EQ(d.reply.enhanced, "5.1.1");
  EXPECT_NE(d.reply.summary().find("invalid reply address hash"), std::string::npos) << d.reply.summary();
  EXPECT_TRUE(d.destinations.empty());
  const Router stranger({}, std::nullopt, {}, reply_at(kToday));
  EXPECT_EQ(stranger.route(from("a@b.example"), reply_address_for("alice@origin.example", kToday, "x")).reply.code, 550);
}

TEST(ReplyRoute, OtherLocalPartsOfTheDomainFallThroughToSrs) {
  SrsRouting srs;
  srs.domain = "fwd.example.net";
  srs.keys.secrets = {"new-secret"};
  srs.today = [] { return kToday; };
  const Router router({}, srs, {}, reply_at(kToday));
  // Not a reply address: the SRS domain's rules apply (a non-SRS local part is refused there).
  const auto d = router.route(core::Envelope{}, *core::parse_mailbox("someone@fwd.example.net", false));
  EXPECT_EQ(d.disposition, Disposition::unknown_user);
  EXPECT_EQ(d.matched.rfind("srs", 0), 0u) << d.matched;
  // A reply address in another domain is not ours.
  core::Address elsewhere = reply_address_for("alice@origin.example", kToday);
  elsewhere.domain = "other.example";
  EXPECT_EQ(router.route(core::Envelope{}, elsewhere).disposition, Disposition::relay_denied);
}

TEST(ReplyRoute, RuleAndDomainModesReachTheDecision) {
  config::DomainConfig dc;
  dc.name = "example.com";
  dc.from_rewrite = config::FromRewriteMode::never;
  config::RuleConfig info;
  info.address = "info";
  info.target.action = config::RouteAction::forward;
  info.target.forward_to = {"a@dest.example"};
  info.from_rewrite = config::FromRewriteMode::always;
  config::RuleConfig sales = info;
  sales.address = "sales";
  sales.from_rewrite.reset();
  dc.rules = {info, sales};
  dc.catch_all = info.target;
  const Router router({dc});
  const auto route = [&](const char* a) { return router.route(core::Envelope{}, *core::parse_mailbox(a, false)); };
  EXPECT_EQ(route("info@example.com").from_rewrite, config::FromRewriteMode::always);
  EXPECT_EQ(route("sales@example.com").from_rewrite, config::FromRewriteMode::never);
  EXPECT_EQ(route("anyone@example.com").from_rewrite, config::FromRewriteMode::never);  // catch-all
}

}  // namespace
}  // namespace hikyaku::routing
