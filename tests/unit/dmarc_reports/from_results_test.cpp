// The evaluation record of one message from the end-of-DATA verdict: which messages are
// recorded (pass/fail under a record with rua=, accepted or refused, not deferred), the RFC 9990
// disposition and override reasons for each enforcement outcome, the identifiers, the published
// tags, and DKIM results in "DKIM Signatures in Aggregate Reports" order.
#include <gtest/gtest.h>

#include "auth/dmarc_evaluate.hpp"
#include "auth/dmarc_record.hpp"
#include "auth/enforcement.hpp"
#include "dmarc_reports/from_results.hpp"

namespace hikyaku::dmarc_reports {
namespace {

core::Envelope envelope() {
  core::Envelope env;
  env.session.client_ip = "198.51.100.4";
  env.session.helo = "mta.example.com";
  env.mail_from.local = "bounce";
  env.mail_from.domain = "bounce.example.com";
  core::Address rcpt;
  rcpt.local = "info";
  rcpt.domain = "served.example";
  env.recipients = {rcpt, core::Address{"x", "second.example"}};
  return env;
}

auth::AuthResults results(const std::string& record_text, auth::DmarcResult result, auth::DmarcPolicy policy) {
  auth::AuthResults r;
  r.spf.mail_from = {auth::SpfResult::fail, "bounce@bounce.example.com", "bounce.example.com", ""};
  auth::DkimSignatureOutcome other{auth::DkimResult::pass, "esp.example", "e1", "rsa-sha256", "", ""};
  auth::DkimSignatureOutcome broken{auth::DkimResult::fail, "example.com", "b1", "rsa-sha256", "", "body hash"};
  auth::DkimSignatureOutcome relaxed{auth::DkimResult::pass, "mail.example.com", "r1", "rsa-sha256", "", ""};
  auth::DkimSignatureOutcome strict{auth::DkimResult::pass, "news.example.com", "s1", "rsa-sha256", "", ""};
  r.dkim = {other, broken, relaxed, strict};
  auto parsed = auth::parse_dmarc_record(record_text);
  EXPECT_TRUE(parsed.has_value());
  r.dmarc.result = result;
  r.dmarc.from_domain = "news.example.com";
  r.dmarc.record_domain = "example.com";
  r.dmarc.org_domain = "example.com";
  r.dmarc.policy = policy;
  r.dmarc.testing = parsed->testing;
  r.dmarc.dkim_aligned = result == auth::DmarcResult::pass;
  r.dmarc.disposition = result == auth::DmarcResult::pass ? auth::DmarcPolicy::none
                        : parsed->testing                  ? auth::milder(policy)
                                                           : policy;
  r.dmarc.record = std::make_shared<const auth::DmarcRecord>(*parsed);
  return r;
}

std::optional<EvaluationRecord> record_of(const auth::AuthResults& r, auth::EnforcementPolicy policy = {},
                                          const std::optional<auth::ArcVouch>& vouch = std::nullopt,
                                          const core::Envelope& env = envelope()) {
  const auth::Enforcement decision = auth::decide(r, policy, vouch);
  return evaluation_record(env, r, decision, policy, vouch);
}

const char* kRecord = "v=DMARC1; p=reject; sp=quarantine; adkim=s; fo=1; rua=mailto:agg@example.com";

TEST(FromResults, PassUnderAnEnforcingPolicy) {
  const auto r = record_of(results(kRecord, auth::DmarcResult::pass, auth::DmarcPolicy::quarantine));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header_from, "news.example.com");
  EXPECT_EQ(r->policy_domain, "example.com");
  EXPECT_EQ(r->source_ip, "198.51.100.4");
  EXPECT_EQ(r->envelope_from, "bounce.example.com");
  EXPECT_EQ(r->envelope_to, "served.example");
  EXPECT_EQ(r->disposition, Disposition::pass);
  EXPECT_TRUE(r->dkim_aligned);
  EXPECT_FALSE(r->spf_aligned);
  EXPECT_TRUE(r->reasons.empty());
  EXPECT_EQ(r->spf, (SpfAuth{"bounce.example.com", "mfrom", "fail"}));
  ASSERT_EQ(r->dkim.size(), 4u);  // strict, relaxed, other pass, not a pass
  EXPECT_EQ(r->dkim[0], (DkimAuth{"news.example.com", "s1", "pass"}));
  EXPECT_EQ(r->dkim[1], (DkimAuth{"mail.example.com", "r1", "pass"}));
  EXPECT_EQ(r->dkim[2], (DkimAuth{"esp.example", "e1", "pass"}));
  EXPECT_EQ(r->dkim[3], (DkimAuth{"example.com", "b1", "fail"}));
  EXPECT_EQ(r->policy, (PublishedPolicy{"reject", "quarantine", "", "s", "r", false, "u", "1"}));
  EXPECT_EQ(r->rua, std::vector<std::string>{"mailto:agg@example.com"});
}

TEST(FromResults, PassUnderPNoneIsDispositionNone) {
  const auto r = record_of(results("v=DMARC1; p=none; rua=mailto:a@example.com", auth::DmarcResult::pass,
                                   auth::DmarcPolicy::none));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->disposition, Disposition::none);
}

TEST(FromResults, RefusedUnderReject) {
  const auto r = record_of(results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::reject));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->disposition, Disposition::reject);
  EXPECT_FALSE(r->dkim_aligned);
  EXPECT_TRUE(r->reasons.empty());
}

TEST(FromResults, QuarantineForwardedOrHandledAsReject) {
  const auto forwarded = record_of(results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::quarantine));
  ASSERT_TRUE(forwarded.has_value());
  EXPECT_EQ(forwarded->disposition, Disposition::quarantine);
  EXPECT_TRUE(forwarded->reasons.empty());
  const auto refused = record_of(results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::quarantine),
                                 auth::EnforcementPolicy{true, true, false});
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->disposition, Disposition::reject);
  EXPECT_EQ(refused->reasons, (std::vector<OverrideReason>{{OverrideType::local_policy, "quarantine handled as reject"}}));
}

TEST(FromResults, OverridesSayWhy) {
  const auto not_enforced = record_of(results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::reject),
                                      auth::EnforcementPolicy{false, false, false});
  ASSERT_TRUE(not_enforced.has_value());
  EXPECT_EQ(not_enforced->disposition, Disposition::none);
  EXPECT_EQ(not_enforced->reasons, (std::vector<OverrideReason>{{OverrideType::local_policy, "not enforced"}}));
  const auto vouched = record_of(results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::reject), {},
                                 auth::ArcVouch{1, "lists.example"});
  ASSERT_TRUE(vouched.has_value());
  EXPECT_EQ(vouched->disposition, Disposition::none);
  EXPECT_EQ(vouched->reasons,
            (std::vector<OverrideReason>{{OverrideType::trusted_forwarder, "ARC sealer lists.example"}}));
  const auto testing = record_of(results("v=DMARC1; p=reject; t=y; rua=mailto:a@example.com",
                                         auth::DmarcResult::fail, auth::DmarcPolicy::reject));
  ASSERT_TRUE(testing.has_value());
  EXPECT_EQ(testing->disposition, Disposition::quarantine);  // one level below (RFC 9989 §4.7)
  EXPECT_TRUE(testing->policy.testing);
  EXPECT_EQ(testing->reasons, (std::vector<OverrideReason>{{OverrideType::policy_test_mode, "t=y"}}));
}

TEST(FromResults, NullSenderHasAnEmptyEnvelopeFrom) {
  core::Envelope env = envelope();
  env.mail_from = core::Address{};
  auto res = results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::quarantine);
  res.spf.mail_from = {auth::SpfResult::pass, "postmaster@mta.example.com", "mta.example.com", ""};
  const auto r = record_of(res, {}, std::nullopt, env);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->envelope_from, "");
  EXPECT_EQ(r->spf, (SpfAuth{"mta.example.com", "mfrom", "pass"}));
}

TEST(FromResults, NotRecorded) {
  // No rua=.
  EXPECT_FALSE(record_of(results("v=DMARC1; p=reject", auth::DmarcResult::fail, auth::DmarcPolicy::reject)));
  // No policy applies, or no result word for policy_evaluated.
  for (const auto result : {auth::DmarcResult::none, auth::DmarcResult::temperror, auth::DmarcResult::permerror}) {
    EXPECT_FALSE(record_of(results(kRecord, result, auth::DmarcPolicy::reject)));
  }
  // No record in the outcome.
  auto no_record = results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::reject);
  no_record.dmarc.record.reset();
  EXPECT_FALSE(record_of(no_record));
  // No single From domain.
  auto no_from = results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::reject);
  no_from.from_problem = "several From fields";
  EXPECT_FALSE(record_of(no_from));
  // Deferred (ARC chain unverified with trusted sealers): counted when it comes back.
  auto deferred = results(kRecord, auth::DmarcResult::fail, auth::DmarcPolicy::reject);
  deferred.arc.cv = auth::ArcResult::Cv::fail;
  deferred.arc.temporary = true;
  const auth::EnforcementPolicy with_sealers{true, false, true};
  ASSERT_EQ(auth::decide(deferred, with_sealers, std::nullopt).action, auth::Enforcement::Action::defer);
  EXPECT_FALSE(record_of(deferred, with_sealers));
}

}  // namespace
}  // namespace hikyaku::dmarc_reports
