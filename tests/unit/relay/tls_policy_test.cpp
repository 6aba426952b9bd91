// The outbound TLS decision table: DANE with usable, unusable and missing TLSA records (RFC 7672
// §2.2, §3.1.3), MTA-STS enforce and testing (RFC 8461 §4-5), DANE over MTA-STS (§2), failed
// TLSA lookups, the operator's overrides, and deferral instead of plaintext.
#include <gtest/gtest.h>

#include "relay/tls_policy.hpp"

namespace hikyaku::relay {
namespace {

dns::TlsaRecord ee_sha256() { return {3, 1, 1, std::string(32, 'x')}; }
dns::TlsaRecord ta_sha512() { return {2, 0, 2, std::string(64, 'y')}; }
dns::TlsaRecord pkix_ee() { return {1, 1, 1, std::string(32, 'z')}; }

MxHostFacts host(std::string name, TlsaState state, std::vector<dns::TlsaRecord> tlsa = {}) {
  return MxHostFacts{std::move(name), state, std::move(tlsa), state == TlsaState::failed ? "SERVFAIL" : ""};
}

MtaStsPolicy sts(MtaStsMode mode, std::vector<std::string> mx) {
  MtaStsPolicy p;
  p.mode = mode;
  p.mx = std::move(mx);
  p.max_age = std::chrono::seconds(86400);
  return p;
}

TEST(TlsaUsability, OnlyDaneTaAndDaneEeWithWellFormedDigests) {
  EXPECT_TRUE(is_usable_tlsa(ee_sha256()));
  EXPECT_TRUE(is_usable_tlsa(ta_sha512()));
  EXPECT_TRUE(is_usable_tlsa({3, 0, 0, "full certificate DER"}));
  EXPECT_FALSE(is_usable_tlsa(pkix_ee()));
  EXPECT_FALSE(is_usable_tlsa({0, 0, 1, std::string(32, 'a')}));
  EXPECT_FALSE(is_usable_tlsa({3, 2, 1, std::string(32, 'a')}));   // selector 2
  EXPECT_FALSE(is_usable_tlsa({3, 1, 3, std::string(32, 'a')}));   // matching type 3
  EXPECT_FALSE(is_usable_tlsa({3, 1, 1, std::string(31, 'a')}));   // short digest
  EXPECT_FALSE(is_usable_tlsa({3, 1, 2, std::string(32, 'a')}));   // SHA-512 of SHA-256's size
  EXPECT_FALSE(is_usable_tlsa({3, 1, 0, ""}));
}

TEST(TlsPlan, NoPolicyIsOpportunistic) {
  DomainTlsFacts f{"example.com", false, {host("mx1.example.com", TlsaState::not_asked)}, {}, ""};
  const auto plan = plan_tls(TlsPolicyOverride::automatic, f);
  EXPECT_EQ(plan.policy_type, PolicyType::no_policy_found);
  ASSERT_EQ(plan.hosts.size(), 1u);
  EXPECT_TRUE(plan.hosts[0].use);
  EXPECT_EQ(plan.hosts[0].level, TlsLevel::may);
  EXPECT_FALSE(plan.defer);
}

TEST(TlsPlan, DaneAuthenticatesHostsWithUsableRecordsAndSkipsHostsWithout) {
  DomainTlsFacts f{"example.com", true,
                   {host("mx1.example.com", TlsaState::secure_records, {ee_sha256(), pkix_ee()}),
                    host("mx2.example.com", TlsaState::secure_none),
                    host("mx3.example.com", TlsaState::secure_records, {pkix_ee()}),
                    host("mx4.example.com", TlsaState::failed)},
                   sts(MtaStsMode::enforce, {"mx2.example.com"}), ""};
  const auto plan = plan_tls(TlsPolicyOverride::automatic, f);
  EXPECT_EQ(plan.policy_type, PolicyType::tlsa);  // DANE wins over MTA-STS (RFC 8461 §2)
  ASSERT_EQ(plan.hosts.size(), 4u);
  EXPECT_TRUE(plan.hosts[0].use);
  EXPECT_EQ(plan.hosts[0].level, TlsLevel::dane);
  EXPECT_EQ(plan.hosts[0].tlsa, std::vector<dns::TlsaRecord>{ee_sha256()});  // the usable one only
  EXPECT_FALSE(plan.hosts[1].use);                 // no DANE on a DANE domain: never a way round
  EXPECT_TRUE(plan.hosts[2].use);
  EXPECT_EQ(plan.hosts[2].level, TlsLevel::encrypt);
  EXPECT_FALSE(plan.hosts[3].use);
  EXPECT_FALSE(plan.defer);
}

TEST(TlsPlan, DaneDoesNotApplyBehindAnUnsignedMxRrset) {
  DomainTlsFacts f{"example.com", false,
                   {host("mx1.example.com", TlsaState::not_asked)}, std::nullopt, ""};
  EXPECT_EQ(plan_tls(TlsPolicyOverride::automatic, f).policy_type, PolicyType::no_policy_found);
}

TEST(TlsPlan, DaneWithEveryHostFailingIsDeferred) {
  DomainTlsFacts f{"example.com", true,
                   {host("mx1.example.com", TlsaState::secure_records, {ee_sha256()}),
                    host("mx2.example.com", TlsaState::failed)}, std::nullopt, ""};
  f.hosts[0].tlsa_state = TlsaState::failed;
  f.hosts[0].tlsa.clear();
  const auto plan = plan_tls(TlsPolicyOverride::automatic, f);
  EXPECT_EQ(plan.policy_type, PolicyType::no_policy_found);
  EXPECT_FALSE(plan.hosts[0].use);
  EXPECT_FALSE(plan.hosts[1].use);
  ASSERT_TRUE(plan.defer);
}

TEST(TlsPlan, MtaStsEnforceUsesOnlyListedHostsWithVerification) {
  DomainTlsFacts f{"example.com", false,
                   {host("mx1.example.com", TlsaState::not_asked), host("evil.example.org", TlsaState::not_asked)},
                   sts(MtaStsMode::enforce, {"*.example.com"}), ""};
  const auto plan = plan_tls(TlsPolicyOverride::automatic, f);
  EXPECT_EQ(plan.policy_type, PolicyType::sts);
  EXPECT_TRUE(plan.hosts[0].use);
  EXPECT_EQ(plan.hosts[0].level, TlsLevel::verify);
  EXPECT_FALSE(plan.hosts[0].report_only);
  EXPECT_FALSE(plan.hosts[1].use);
  EXPECT_FALSE(plan.defer);

  f.hosts.erase(f.hosts.begin());
  const auto none_left = plan_tls(TlsPolicyOverride::automatic, f);
  ASSERT_TRUE(none_left.defer);
}

TEST(TlsPlan, MtaStsTestingVerifiesButDelivers) {
  DomainTlsFacts f{"example.com", false,
                   {host("mx1.example.com", TlsaState::not_asked), host("other.example.org", TlsaState::not_asked)},
                   sts(MtaStsMode::testing, {"mx1.example.com"}), ""};
  const auto plan = plan_tls(TlsPolicyOverride::automatic, f);
  EXPECT_EQ(plan.policy_type, PolicyType::sts);
  EXPECT_TRUE(plan.hosts[0].use);
  EXPECT_EQ(plan.hosts[0].level, TlsLevel::verify);
  EXPECT_TRUE(plan.hosts[0].report_only);
  EXPECT_TRUE(plan.hosts[1].use);
  EXPECT_TRUE(plan.hosts[1].report_only);
  EXPECT_FALSE(plan.defer);
}

TEST(TlsPlan, MtaStsModeNoneIsNoPolicy) {
  DomainTlsFacts f{"example.com", false, {host("mx1.example.com", TlsaState::not_asked)},
                   sts(MtaStsMode::none, {}), ""};
  EXPECT_EQ(plan_tls(TlsPolicyOverride::automatic, f).policy_type, PolicyType::no_policy_found);
}

TEST(TlsPlan, OverridesForceTheirLevel) {
  DomainTlsFacts f{"example.com", true,
                   {host("mx1.example.com", TlsaState::secure_records, {ee_sha256()})}, std::nullopt, ""};
  EXPECT_EQ(plan_tls(TlsPolicyOverride::none, f).hosts[0].level, TlsLevel::none);
  EXPECT_EQ(plan_tls(TlsPolicyOverride::may, f).hosts[0].level, TlsLevel::may);
  EXPECT_EQ(plan_tls(TlsPolicyOverride::verify, f).hosts[0].level, TlsLevel::verify);
  EXPECT_EQ(plan_tls(TlsPolicyOverride::dane, f).hosts[0].level, TlsLevel::dane);
}

TEST(TlsPlan, RequiredPoliciesThatAreMissingDefer) {
  DomainTlsFacts f{"example.com", false, {host("mx1.example.com", TlsaState::not_asked)}, std::nullopt,
                   "policy fetch failed: timeout"};
  const auto dane = plan_tls(TlsPolicyOverride::dane, f);
  ASSERT_TRUE(dane.defer);
  EXPECT_FALSE(dane.hosts[0].use);
  const auto sts_required = plan_tls(TlsPolicyOverride::mta_sts, f);
  ASSERT_TRUE(sts_required.defer);
  EXPECT_NE(sts_required.defer->find("timeout"), std::string::npos);

  f.mta_sts = sts(MtaStsMode::testing, {"mx1.example.com"});
  const auto enforced = plan_tls(TlsPolicyOverride::mta_sts, f);
  EXPECT_FALSE(enforced.defer);
  EXPECT_FALSE(enforced.hosts[0].report_only);  // testing is enforced under the override
}

TEST(TlsPlan, OverrideNames) {
  for (auto o : {TlsPolicyOverride::automatic, TlsPolicyOverride::dane, TlsPolicyOverride::mta_sts,
                 TlsPolicyOverride::verify, TlsPolicyOverride::may, TlsPolicyOverride::none}) {
    EXPECT_EQ(parse_tls_policy_override(to_string(o)), o);
  }
  EXPECT_FALSE(parse_tls_policy_override("MAY"));
  EXPECT_FALSE(parse_tls_policy_override("encrypt"));
}

}  // namespace
}  // namespace hikyaku::relay

namespace hikyaku::relay {
namespace {

// RFC 8460 §4.4: what a TLS report says the policy was, and the failures found before connecting.
TEST(TlsPlanReport, DanePolicyIsItsRecordsAndHosts) {
  DomainTlsFacts f{"example.com", true,
                   {host("mx1.example.com", TlsaState::secure_records, {ee_sha256(), pkix_ee()}),
                    host("mx2.example.com", TlsaState::secure_records, {ee_sha256()}),
                    host("mx3.example.com", TlsaState::failed)},
                   std::nullopt, ""};
  const auto plan = plan_tls(TlsPolicyOverride::automatic, f);
  EXPECT_EQ(plan.policy_type, PolicyType::tlsa);
  // Every record as published (the unusable one too), once.
  EXPECT_EQ(plan.policy_strings, (std::vector<std::string>{dns::to_string(ee_sha256()), dns::to_string(pkix_ee())}));
  EXPECT_EQ(plan.mx_patterns, (std::vector<std::string>{"mx1.example.com", "mx2.example.com"}));
  ASSERT_EQ(plan.policy_failures.size(), 1u);
  EXPECT_EQ(plan.policy_failures[0].type, PolicyType::tlsa);
  EXPECT_EQ(plan.policy_failures[0].result_type, "dnssec-invalid");
  EXPECT_EQ(plan.policy_failures[0].host, "mx3.example.com");
}

TEST(TlsPlanReport, MtaStsPolicyIsItsLinesAndMxPatterns) {
  DomainTlsFacts f{"example.com", false, {host("mx1.example.com", TlsaState::not_asked)},
                   sts(MtaStsMode::enforce, {"*.example.com"}), ""};
  f.mta_sts->lines = {"version: STSv1", "mode: enforce", "mx: *.example.com", "max_age: 86400"};
  const auto plan = plan_tls(TlsPolicyOverride::automatic, f);
  EXPECT_EQ(plan.policy_strings, f.mta_sts->lines);
  EXPECT_EQ(plan.mx_patterns, (std::vector<std::string>{"*.example.com"}));
  EXPECT_TRUE(plan.policy_failures.empty());
}

TEST(TlsPlanReport, AnMtaStsPolicyThatCouldNotBeHadIsAnStsFailure) {
  DomainTlsFacts f{"example.com", false, {host("mx1.example.com", TlsaState::not_asked)}, std::nullopt,
                   "sts-webpki-invalid: mta-sts.example.com: certificate has expired"};
  auto plan = plan_tls(TlsPolicyOverride::automatic, f);
  EXPECT_EQ(plan.policy_type, PolicyType::no_policy_found);
  ASSERT_EQ(plan.policy_failures.size(), 1u);
  EXPECT_EQ(plan.policy_failures[0].type, PolicyType::sts);
  EXPECT_EQ(plan.policy_failures[0].result_type, "sts-webpki-invalid");
  f.mta_sts_problem = "no _mta-sts record (SERVFAIL)";
  plan = plan_tls(TlsPolicyOverride::automatic, f);
  ASSERT_EQ(plan.policy_failures.size(), 1u);
  EXPECT_EQ(plan.policy_failures[0].result_type, "sts-policy-fetch-error");
  f.mta_sts_problem.clear();
  EXPECT_TRUE(plan_tls(TlsPolicyOverride::automatic, f).policy_failures.empty());
  // tls_policy "dane" where there is no DANE: dane-required.
  const auto dane = plan_tls(TlsPolicyOverride::dane, f);
  ASSERT_EQ(dane.policy_failures.size(), 1u);
  EXPECT_EQ(dane.policy_failures[0].result_type, "dane-required");
}

}  // namespace
}  // namespace hikyaku::relay
