// MTA-STS policy syntax (RFC 8461 §3.2), mx pattern matching (§4.1: the wildcard covers the
// leftmost label only, anchored), and the findings from a fetched policy.
#include <gtest/gtest.h>

#include "doctor/mta_sts_policy.hpp"

namespace hikyaku::doctor {
namespace {

TEST(MtaStsPolicy, Parses) {
  auto p = parse_mta_sts_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.Example.net\r\nmax_age: 604800\r\n");
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->mode, "enforce");
  EXPECT_EQ(p->mx, (std::vector<std::string>{"mail.example.com", "*.example.net"}));
  EXPECT_EQ(p->max_age, 604800u);
  EXPECT_TRUE(parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 0\n"));
  EXPECT_TRUE(parse_mta_sts_policy("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 31557600\n"));
}

TEST(MtaStsPolicy, Refuses) {
  EXPECT_FALSE(parse_mta_sts_policy("mode: enforce\nversion: STSv1\nmx: a.example\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode enforce\n"));
}

TEST(MtaStsPolicy, WildcardCoversTheLeftmostLabelOnly) {
  EXPECT_TRUE(mx_pattern_matches("mail.example.com", "MAIL.example.com."));
  EXPECT_TRUE(mx_pattern_matches("*.example.com", "mx1.example.com"));
  EXPECT_FALSE(mx_pattern_matches("*.example.com", "a.mx1.example.com"));
  EXPECT_FALSE(mx_pattern_matches("*.example.com", "example.com"));
  EXPECT_FALSE(mx_pattern_matches("*.example.com", "mx1.example.com.evil.test"));
  EXPECT_FALSE(mx_pattern_matches("mail.example.com", "xmail.example.com"));
}

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

}  // namespace
}  // namespace hikyaku::doctor
