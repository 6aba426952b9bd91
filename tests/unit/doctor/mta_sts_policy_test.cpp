// The findings from a fetched MTA-STS policy (RFC 8461 §3.2-3.3, §4.1); the policy syntax and
// mx matching themselves are the relay's (tests/unit/relay/mta_sts_policy_test.cpp).
#include <gtest/gtest.h>

#include "doctor/mta_sts_policy.hpp"

namespace hikyaku::doctor {
namespace {

PolicyFetch fetched(const std::string& body) {
  PolicyFetch f;
  f.connected = true;
  f.name_matches = true;
  f.chain_trusted = true;
  f.status = 200;
  f.content_type = "text/plain; charset=utf-8";
  f.body = body;
  return f;
}

TEST(MtaStsPolicy, FindingsFromAFetchedPolicy) {
  const std::string enforce = "version: STSv1\nmode: enforce\nmx: *.d.test\nmax_age: 86400\n";
  std::vector<Finding> ok;
  mta_sts_findings("d.test", fetched(enforce), {"mx1.d.test", "mx2.d.test"}, ok);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].severity, Severity::ok);
  std::vector<Finding> miss;
  mta_sts_findings("d.test", fetched(enforce), {"mx1.d.test", "mx.other.test"}, miss);
  ASSERT_EQ(miss.size(), 1u);
  EXPECT_EQ(miss[0].check, "mta_sts.mx");
  EXPECT_EQ(miss[0].severity, Severity::error);
  EXPECT_NE(miss[0].problem.find("mx.other.test"), std::string::npos);
  std::vector<Finding> testing;
  mta_sts_findings("d.test", fetched("version: STSv1\nmode: testing\nmx: mx1.d.test\nmax_age: 1\n"), {"mx2.d.test"}, testing);
  EXPECT_EQ(testing[0].severity, Severity::warn);
  PolicyFetch wrong_name = fetched(enforce);
  wrong_name.name_matches = false;
  std::vector<Finding> name;
  mta_sts_findings("d.test", wrong_name, {"mx1.d.test"}, name);
  EXPECT_EQ(name[0].severity, Severity::error);
  PolicyFetch failed;
  failed.error = "connect: Connection refused";
  std::vector<Finding> down;
  mta_sts_findings("d.test", failed, {"mx1.d.test"}, down);
  EXPECT_EQ(down[0].check, "mta_sts.policy");
  EXPECT_EQ(down[0].severity, Severity::error);
}

TEST(MtaStsPolicy, InvalidPoliciesAndAVersionNotFirst) {
  std::vector<Finding> invalid;
  mta_sts_findings("d.test", fetched("version: STSv1\nmode: strict\nmx: a.d.test\nmax_age: 1\n"), {"a.d.test"}, invalid);
  ASSERT_EQ(invalid.size(), 1u);
  EXPECT_EQ(invalid[0].severity, Severity::error);
  EXPECT_NE(invalid[0].problem.find("invalid policy"), std::string::npos);
  // Valid for the RFC's grammar (and the relay), but some senders want the version first.
  std::vector<Finding> order;
  mta_sts_findings("d.test", fetched("mode: enforce\nversion: STSv1\nmx: a.d.test\nmax_age: 1\n"), {"a.d.test"}, order);
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0].severity, Severity::warn);
  EXPECT_NE(order[0].problem.find("first line"), std::string::npos);
  EXPECT_EQ(order[1].severity, Severity::ok);
}

}  // namespace
}  // namespace hikyaku::doctor
