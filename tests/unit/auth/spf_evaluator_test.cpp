// SPF evaluation in-process (auth/spf_evaluator.hpp) against a zone: every RFC 7208 §2.6
// result, include/redirect/mx/ip6, the null sender (§2.4) and HELO (§2.3) identities, DNS
// failures as temperror (§4.4) and the §4.6.4 limits.
#include <gtest/gtest.h>

#include "auth/spf_evaluator.hpp"
#include "spf_test_zone.hpp"

namespace hikyaku::auth {
namespace {

class SpfEvaluatorTest : public ::testing::Test {
 protected:
  SpfOutcome mail_from(const std::string& ip, const std::string& sender, const std::string& helo = "mail.example.org") {
    return evaluator_.check_mail_from(ip, helo, sender);
  }
  SpfResult result(const std::string& ip, const std::string& sender) { return mail_from(ip, sender).result; }

  dns::ZoneFileResolver zone_ = test::spf_zone();
  std::vector<std::string> asked_;
  SpfEvaluator evaluator_{[this](const std::string& name, dns::RecordType type) {
                            asked_.push_back(name + "/" + std::string(dns::to_string(type)));
                            return test::zone_lookup(zone_)(name, type);
                          },
                          SpfEvaluatorOptions{.rec_dom = "relay.example.net"}};
};

TEST_F(SpfEvaluatorTest, PassFailSoftfailNeutral) {
  const auto pass = mail_from("192.0.2.7", "alice@example.com");
  EXPECT_EQ(pass.result, SpfResult::pass);
  EXPECT_EQ(pass.identity, "alice@example.com");
  EXPECT_EQ(pass.domain, "example.com");
  EXPECT_FALSE(pass.reason.empty());
  EXPECT_EQ(result("192.0.2.130", "alice@example.com"), SpfResult::fail);
  EXPECT_EQ(result("192.0.2.1", "bob@soft.example.com"), SpfResult::pass);
  EXPECT_EQ(result("192.0.2.2", "bob@soft.example.com"), SpfResult::softfail);
  EXPECT_EQ(result("192.0.2.2", "bob@neutral.example.com"), SpfResult::neutral);
  EXPECT_EQ(result("203.0.113.9", "bob@plus.example.com"), SpfResult::pass);
}

// libspf2 passes loopback clients before reading any record (SPF_REASON_LOCALHOST). Behind a
// local proxy every client would then pass SPF for any domain, and DMARC with it: a local client
// gets none, for both identities, and no record is even asked for.
TEST_F(SpfEvaluatorTest, LocalClientIsNeverAPass) {
  for (const char* local : {"127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "::127.0.0.1",
                            "0.0.0.0", "::"}) {
    asked_.clear();
    for (const char* sender : {"alice@example.com", "bob@plus.example.com"}) {
      const auto outcome = mail_from(local, sender);
      EXPECT_EQ(outcome.result, SpfResult::none) << local << " " << sender;
      EXPECT_NE(outcome.reason.find("local address"), std::string::npos) << outcome.reason;
    }
    EXPECT_EQ(evaluator_.check_helo(local, "plus.example.com").result, SpfResult::none) << local;
    EXPECT_TRUE(asked_.empty()) << local << ": " << asked_.front();
  }
  // The neighbours of loopback are ordinary clients: +all passes them.
  EXPECT_EQ(result("128.0.0.1", "bob@plus.example.com"), SpfResult::pass);
  EXPECT_EQ(result("126.255.255.255", "bob@plus.example.com"), SpfResult::pass);
  EXPECT_EQ(result("2001:db8::1", "bob@plus.example.com"), SpfResult::pass);
}

TEST_F(SpfEvaluatorTest, FailCarriesTheExplanation) {
  const auto fail = mail_from("192.0.2.130", "alice@example.com");
  EXPECT_EQ(fail.result, SpfResult::fail);
  EXPECT_FALSE(fail.reason.empty());
  for (char c : fail.reason) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
  // Without exp= the reason is the library's comment, never its default explanation (a link to
  // a web site that no longer exists) nor our marker for it.
  EXPECT_EQ(fail.reason.find("openspf"), std::string::npos) << fail.reason;
  EXPECT_EQ(fail.reason.find("http"), std::string::npos) << fail.reason;
  EXPECT_EQ(fail.reason.find("hikyaku-no-explanation"), std::string::npos) << fail.reason;
  EXPECT_NE(fail.reason.find("192.0.2.130"), std::string::npos) << fail.reason;
}

TEST_F(SpfEvaluatorTest, IncludeIp6AndMx) {
  EXPECT_EQ(result("198.51.100.20", "alice@example.com"), SpfResult::pass);   // include: ip4
  EXPECT_EQ(result("2001:db8:3::9", "alice@example.com"), SpfResult::pass);   // include: ip6
  EXPECT_EQ(result("2001:db8:1:2::1", "alice@example.com"), SpfResult::pass); // ip6
  EXPECT_EQ(result("2001:db8:4::1", "alice@example.com"), SpfResult::fail);
  EXPECT_EQ(result("192.0.2.200", "alice@example.com"), SpfResult::pass);     // mx, A
  EXPECT_EQ(result("2001:db8:2::25", "alice@example.com"), SpfResult::pass);  // mx, AAAA
  EXPECT_EQ(result("::ffff:192.0.2.7", "alice@example.com"), SpfResult::pass); // mapped v4
  EXPECT_EQ(result("192.0.2.7", "x@redir.example.com"), SpfResult::pass);     // redirect=
  EXPECT_EQ(result("192.0.2.130", "x@redir.example.com"), SpfResult::fail);
}

TEST_F(SpfEvaluatorTest, NoneForNoRecordAndNoDomain) {
  EXPECT_EQ(result("192.0.2.7", "a@norecord.example.com"), SpfResult::none);
  EXPECT_EQ(result("192.0.2.7", "a@nowhere.example.com"), SpfResult::none);  // NXDOMAIN
}

TEST_F(SpfEvaluatorTest, PermErrors) {
  EXPECT_EQ(result("192.0.2.1", "a@broken.example.com"), SpfResult::permerror);
  EXPECT_EQ(result("192.0.2.1", "a@twice.example.com"), SpfResult::permerror);  // §4.5
  EXPECT_EQ(result("192.0.2.1", "a@loop.example.com"), SpfResult::permerror);
  const auto many = mail_from("192.0.2.1", "a@many.example.com");  // §4.6.4: 11 DNS mechanisms
  EXPECT_EQ(many.result, SpfResult::permerror);
  // §4.6.4: the third void lookup ends the evaluation, before ip4: matches.
  const auto voids = mail_from("192.0.2.1", "a@voids.example.com");
  EXPECT_EQ(voids.result, SpfResult::permerror);
  EXPECT_EQ(voids.reason, "more than 2 void lookups");
}

TEST_F(SpfEvaluatorTest, DnsFailuresAreTempErrors) {
  // Top level: libspf2 says INVALID + SPF_E_DNS_ERROR, which is mapped (RFC 7208 §4.4).
  const auto top = mail_from("192.0.2.1", "a@error.example.org");
  EXPECT_EQ(top.result, SpfResult::temperror);
  EXPECT_FALSE(top.reason.empty());
  EXPECT_EQ(result("192.0.2.1", "a@tempinc.example.com"), SpfResult::temperror);  // in include:
}

TEST_F(SpfEvaluatorTest, NullSenderChecksPostmasterAtHelo) {
  const auto o = mail_from("192.0.2.150", "", "helo.example.com");
  EXPECT_EQ(o.result, SpfResult::pass);
  EXPECT_EQ(o.identity, "postmaster@helo.example.com");
  EXPECT_EQ(o.domain, "helo.example.com");
  EXPECT_EQ(mail_from("192.0.2.151", "", "helo.example.com").result, SpfResult::fail);
  EXPECT_EQ(mail_from("192.0.2.151", "", "[192.0.2.151]").result, SpfResult::none);
}

TEST_F(SpfEvaluatorTest, HeloIdentity) {
  const auto o = evaluator_.check_helo("192.0.2.150", "helo.example.com");
  EXPECT_EQ(o.result, SpfResult::pass);
  EXPECT_EQ(o.identity, "helo.example.com");
  EXPECT_EQ(evaluator_.check_helo("192.0.2.151", "helo.example.com").result, SpfResult::fail);
  EXPECT_EQ(evaluator_.check_helo("192.0.2.151", "").result, SpfResult::none);
  EXPECT_EQ(evaluator_.check_helo("192.0.2.151", "[192.0.2.151]").result, SpfResult::none);
  EXPECT_EQ(evaluator_.check_helo("192.0.2.151", "norecord.example.com").result, SpfResult::none);
}

TEST_F(SpfEvaluatorTest, CheckGivesBothIdentities) {
  const auto v = evaluator_.check(SpfCheckRequest{"192.0.2.150", "helo.example.com", "a@example.com", ""});
  EXPECT_EQ(v.mail_from.result, SpfResult::fail);
  EXPECT_EQ(v.helo.result, SpfResult::pass);
}

TEST_F(SpfEvaluatorTest, LookupsGoThroughTheCallbackOnly) {
  asked_.clear();
  EXPECT_EQ(result("198.51.100.20", "alice@example.com"), SpfResult::pass);
  ASSERT_GE(asked_.size(), 2u);
  EXPECT_EQ(asked_[0], "example.com/TXT");
  EXPECT_NE(std::find(asked_.begin(), asked_.end(), "_spf.example.net/TXT"), asked_.end());
}

TEST_F(SpfEvaluatorTest, InvalidClientAddressIsTempError) {
  EXPECT_EQ(result("not-an-ip", "alice@example.com"), SpfResult::temperror);
}

TEST(SpfEvaluatorLimits, QueryBackstopAnswersTempError) {
  auto zone = test::spf_zone();
  int calls = 0;
  SpfEvaluator e(
      [&](const std::string& n, dns::RecordType t) {
        ++calls;
        return test::zone_lookup(zone)(n, t);
      },
      SpfEvaluatorOptions{.max_queries = 1});
  EXPECT_EQ(e.check_mail_from("198.51.100.20", "h.example", "alice@example.com").result, SpfResult::temperror);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace hikyaku::auth
