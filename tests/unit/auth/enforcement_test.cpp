// The enforcement decision as a table (RFC 9989 §5.3.1, §5.3.6 with t=y, §5.4) and trusted ARC sealers
// vouching through ARC-Authentication-Results (RFC 8617 §7.2.1, RFC 8601 §2.2).
#include <gtest/gtest.h>

#include "auth/arc_vouch.hpp"
#include "auth/enforcement.hpp"

namespace hikyaku::auth {
namespace {

using Action = Enforcement::Action;

AuthResults dmarc(DmarcResult result, DmarcPolicy policy, DmarcPolicy disposition, bool testing = false) {
  AuthResults r;
  r.dmarc.result = result;
  r.dmarc.from_domain = "paypal.example";
  r.dmarc.policy = policy;
  r.dmarc.disposition = disposition;
  r.dmarc.testing = testing;
  return r;
}

struct Row {
  const char* name;
  AuthResults results;
  EnforcementPolicy policy;
  bool vouched;
  Action action;
  int code;  // 0 on accept
};

TEST(Enforcement, DecisionTable) {
  const EnforcementPolicy enforce{true, false};
  const EnforcementPolicy enforce_strict{true, true};
  const EnforcementPolicy off{false, true};
  AuthResults two_froms;
  two_froms.from_problem = "several From header fields";
  const Row rows[] = {
      {"pass", dmarc(DmarcResult::pass, DmarcPolicy::reject, DmarcPolicy::none), enforce, false, Action::accept, 0},
      {"none", dmarc(DmarcResult::none, DmarcPolicy::none, DmarcPolicy::none), enforce, false, Action::accept, 0},
      {"permerror", dmarc(DmarcResult::permerror, DmarcPolicy::none, DmarcPolicy::none), enforce, false,
       Action::accept, 0},
      {"reject", dmarc(DmarcResult::fail, DmarcPolicy::reject, DmarcPolicy::reject), enforce, false, Action::refuse,
       550},
      {"reject_not_enforced", dmarc(DmarcResult::fail, DmarcPolicy::reject, DmarcPolicy::reject), off, false,
       Action::accept, 0},
      {"reject_vouched", dmarc(DmarcResult::fail, DmarcPolicy::reject, DmarcPolicy::reject), enforce, true,
       Action::accept, 0},
      {"reject_testing_to_quarantine",
       dmarc(DmarcResult::fail, DmarcPolicy::reject, DmarcPolicy::quarantine, true), enforce, false, Action::accept, 0},
      {"reject_testing_strict", dmarc(DmarcResult::fail, DmarcPolicy::reject, DmarcPolicy::quarantine, true),
       enforce_strict, false, Action::refuse, 550},
      {"quarantine_forward", dmarc(DmarcResult::fail, DmarcPolicy::quarantine, DmarcPolicy::quarantine), enforce,
       false, Action::accept, 0},
      {"quarantine_reject", dmarc(DmarcResult::fail, DmarcPolicy::quarantine, DmarcPolicy::quarantine),
       enforce_strict, false, Action::refuse, 550},
      {"quarantine_reject_vouched", dmarc(DmarcResult::fail, DmarcPolicy::quarantine, DmarcPolicy::quarantine),
       enforce_strict, true, Action::accept, 0},
      {"p_none_fail", dmarc(DmarcResult::fail, DmarcPolicy::none, DmarcPolicy::none), enforce_strict, false,
       Action::accept, 0},
      {"temperror", dmarc(DmarcResult::temperror, DmarcPolicy::none, DmarcPolicy::none), enforce, false,
       Action::defer, 451},
      {"temperror_not_enforced", dmarc(DmarcResult::temperror, DmarcPolicy::none, DmarcPolicy::none), off, false,
       Action::accept, 0},
      {"two_froms", two_froms, enforce, false, Action::refuse, 550},
      {"two_froms_not_enforced", two_froms, off, false, Action::refuse, 550},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    std::optional<ArcVouch> vouch;
    if (row.vouched) vouch = ArcVouch{1, "lists.example.org"};
    const Enforcement e = decide(row.results, row.policy, vouch);
    EXPECT_EQ(e.action, row.action);
    if (row.code != 0) {
      EXPECT_EQ(e.reply.code, row.code);
      EXPECT_EQ(e.reply.enhanced, row.code == 451 ? "4.7.5" : "5.7.1");
    }
  }
}

TEST(Enforcement, TempErrorDefersOnlyWhenThePolicyCouldRefuse) {
  auto known = [](DmarcPolicy p) {
    auto r = dmarc(DmarcResult::temperror, p, DmarcPolicy::none);
    r.dmarc.record_domain = "paypal.example";
    return r;
  };
  EXPECT_EQ(decide(known(DmarcPolicy::reject), {true, false}, {}).action, Action::defer);
  EXPECT_EQ(decide(known(DmarcPolicy::none), {true, false}, {}).action, Action::accept);
  EXPECT_EQ(decide(known(DmarcPolicy::quarantine), {true, false}, {}).action, Action::accept);
  EXPECT_EQ(decide(known(DmarcPolicy::quarantine), {true, true}, {}).action, Action::defer);
  // The record itself could not be fetched: its policy is unknown.
  EXPECT_EQ(decide(dmarc(DmarcResult::temperror, DmarcPolicy::none, DmarcPolicy::none), {true, false}, {}).action,
            Action::defer);
}

TEST(Enforcement, RefusalNamesDomainAndPolicy) {
  const auto e = decide(dmarc(DmarcResult::fail, DmarcPolicy::reject, DmarcPolicy::reject), {true, false}, {});
  EXPECT_EQ(e.reply.summary(),
            "550 5.7.1 Error: message refused: paypal.example fails DMARC and its policy is p=reject (RFC 9989)");
  EXPECT_EQ(e.note, "dmarc=fail p=reject: refused");
}

TEST(Enforcement, OverrideIsLogged) {
  const auto e = decide(dmarc(DmarcResult::fail, DmarcPolicy::reject, DmarcPolicy::reject), {true, false},
                        ArcVouch{2, "lists.example.org"});
  EXPECT_EQ(e.note, "dmarc=fail p=reject: overridden by trusted ARC sealer lists.example.org (i=2)");
}

TEST(Enforcement, TemporaryArcFailureDefersARefusalOnlyWithTrustedSealers) {
  auto failing = [](bool temporary) {
    auto r = dmarc(DmarcResult::fail, DmarcPolicy::reject, DmarcPolicy::reject);
    r.arc.cv = ArcResult::Cv::fail;
    r.arc.instances = 1;
    r.arc.temporary = temporary;
    r.arc.reason = temporary ? "i=1 AMS: key lookup failed temporarily at s._domainkey.lists.example.org"
                             : "i=1 AMS: no key record at s._domainkey.lists.example.org";
    return r;
  };
  const EnforcementPolicy trusted{true, false, true};
  const EnforcementPolicy untrusted{true, false, false};
  const auto deferred = decide(failing(true), trusted, {});
  EXPECT_EQ(deferred.action, Action::defer);
  EXPECT_EQ(deferred.reply.code, 451);
  EXPECT_EQ(deferred.reply.enhanced, "4.7.5");
  EXPECT_NE(deferred.note.find("key lookup failed temporarily"), std::string::npos) << deferred.note;
  // A permanent ARC failure, or no trusted sealer that could vouch: refused as before.
  EXPECT_EQ(decide(failing(false), trusted, {}).action, Action::refuse);
  EXPECT_EQ(decide(failing(true), untrusted, {}).action, Action::refuse);
  // Nothing to defer when the message would not be refused anyway.
  auto quarantine = failing(true);
  quarantine.dmarc.policy = quarantine.dmarc.disposition = DmarcPolicy::quarantine;
  EXPECT_EQ(decide(quarantine, trusted, {}).action, Action::accept);
  EXPECT_EQ(decide(failing(true), {false, false, true}, {}).action, Action::accept);
  auto passing = failing(true);
  passing.dmarc.result = DmarcResult::pass;
  passing.dmarc.disposition = DmarcPolicy::none;
  EXPECT_EQ(decide(passing, trusted, {}).action, Action::accept);
}

TEST(MethodResult, FindsTheMethodPastCommentsAndQuotes) {
  EXPECT_EQ(method_result(" mx.example; spf=pass smtp.mailfrom=a@b; dmarc=pass (p=reject) header.from=b",
                          "dmarc"),
            "pass");
  EXPECT_EQ(method_result("mx (comment; dmarc=pass) .example; dmarc = FAIL", "dmarc"), "fail");
  EXPECT_EQ(method_result("mx; spf=pass smtp.mailfrom=\"a;dmarc=pass\"@b", "dmarc"), std::nullopt);
  EXPECT_EQ(method_result("mx; dmarc/1=pass", "dmarc"), "pass");
  EXPECT_EQ(method_result("mx; none", "dmarc"), std::nullopt);
  EXPECT_EQ(method_result("mx; dmarc=", "dmarc"), std::nullopt);
}

core::Message chain(const std::string& sealer1, const std::string& dmarc1, const std::string& sealer2,
                    const std::string& dmarc2) {
  return core::Message(
      "ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=" + sealer2 + "; s=s; b=AAAA\r\n"
      "ARC-Authentication-Results: i=2; mx." + sealer2 + "; dmarc=" + dmarc2 + " header.from=paypal.example\r\n"
      "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=" + sealer1 + "; s=s; b=AAAA\r\n"
      "ARC-Authentication-Results: i=1; mx." + sealer1 + "; spf=pass smtp.mailfrom=x@y;\r\n"
      "\tdmarc=" + dmarc1 + " header.from=paypal.example\r\n"
      "From: a@paypal.example\r\n\r\nbody\r\n");
}

TEST(TrustedArcSealer, OldestTrustedSealerSayingPassVouches) {
  ArcResult pass;
  pass.cv = ArcResult::Cv::pass;
  pass.instances = 2;
  const std::vector<std::string> trusted = {"lists.example.org", "fwd.example.com"};
  auto v = trusted_dmarc_pass(chain("lists.example.org", "pass", "fwd.example.com", "fail"), pass, trusted, "paypal.example");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->instance, 1);
  EXPECT_EQ(v->sealer, "lists.example.org");
  // The oldest trusted set said fail: a newer trusted one saying pass does not vouch.
  EXPECT_FALSE(trusted_dmarc_pass(chain("lists.example.org", "fail", "FWD.example.com", "pass"), pass, trusted, "paypal.example"));
  // An untrusted oldest set is skipped; the trusted newer one decides.
  v = trusted_dmarc_pass(chain("other.example", "fail", "FWD.example.com", "pass"), pass, trusted, "paypal.example");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->instance, 2);
  EXPECT_EQ(v->sealer, "fwd.example.com");
}

TEST(TrustedArcSealer, NoVouchForAnotherMessageOrAnotherAuthor) {
  ArcResult pass;
  pass.cv = ArcResult::Cv::pass;
  pass.instances = 2;
  const auto msg = chain("lists.example.org", "pass", "other.example", "pass");
  // A set replayed from another message: its AMS no longer validates (oldest-pass is 2).
  ArcResult replayed = pass;
  replayed.oldest_pass = 2;
  EXPECT_FALSE(trusted_dmarc_pass(msg, replayed, {"lists.example.org"}, "paypal.example"));
  EXPECT_TRUE(trusted_dmarc_pass(msg, replayed, {"other.example"}, "paypal.example"));
  // The trusted sealer saw dmarc=pass for another From domain.
  EXPECT_FALSE(trusted_dmarc_pass(msg, pass, {"lists.example.org"}, "bank.example"));
  EXPECT_TRUE(trusted_dmarc_pass(msg, pass, {"lists.example.org"}, "PayPal.example"));
}

TEST(MethodProperty, ReadsOneProperty) {
  EXPECT_EQ(method_property("mx; dmarc=pass (p=reject) header.from=Example.COM", "dmarc", "header.from"),
            "example.com");
  EXPECT_EQ(method_property("mx; dmarc=pass header.from=\"x.example\"", "dmarc", "header.from"), "x.example");
  EXPECT_EQ(method_property("mx; spf=pass header.from=x.example; dmarc=pass", "dmarc", "header.from"), std::nullopt);
  EXPECT_EQ(method_property("mx; dmarc=pass", "dmarc", "header.from"), std::nullopt);
}

TEST(TrustedArcSealer, NoVouchWithoutTrustOrValidChain) {
  ArcResult pass;
  pass.cv = ArcResult::Cv::pass;
  const auto msg = chain("lists.example.org", "pass", "other.example", "pass");
  EXPECT_FALSE(trusted_dmarc_pass(msg, pass, {"unrelated.example"}, "paypal.example"));
  EXPECT_FALSE(trusted_dmarc_pass(msg, pass, {}, "paypal.example"));
  ArcResult failed = pass;
  failed.cv = ArcResult::Cv::fail;
  EXPECT_FALSE(trusted_dmarc_pass(msg, failed, {"lists.example.org"}, "paypal.example"));
  ArcResult none;
  EXPECT_FALSE(trusted_dmarc_pass(msg, none, {"lists.example.org"}, "paypal.example"));
  // A trusted sealer that did not see dmarc=pass does not vouch.
  EXPECT_FALSE(trusted_dmarc_pass(chain("lists.example.org", "fail", "other.example", "pass"), pass,
                                  {"lists.example.org"}, "paypal.example"));
}

}  // namespace
}  // namespace hikyaku::auth
