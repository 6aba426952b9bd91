// MTA-STS parsing and matching (RFC 8461): the TXT record's grammar and selection (§3.1), the
// policy file's fields, line ends and limits (§3.2), and the one-label wildcard of §4.1.
#include <gtest/gtest.h>

#include "relay/mta_sts_policy.hpp"

namespace hikyaku::relay {
namespace {

TEST(MtaStsRecord, ParsesTheIdAndIgnoresExtensions) {
  auto r = parse_mta_sts_record("v=STSv1; id=20160831085700Z;");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->id, "20160831085700Z");
  r = parse_mta_sts_record("v=STSv1;id=abc ; ext-1.x=whatever");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->id, "abc");
}

TEST(MtaStsRecord, IdIsOneToThirtyTwoLettersOrDigits) {
  EXPECT_TRUE(parse_mta_sts_record("v=STSv1; id=" + std::string(32, 'a')));
  EXPECT_FALSE(parse_mta_sts_record("v=STSv1; id=" + std::string(33, 'a')));
  EXPECT_FALSE(parse_mta_sts_record("v=STSv1; id="));
  EXPECT_FALSE(parse_mta_sts_record("v=STSv1; id=2016-08-31"));
  EXPECT_FALSE(parse_mta_sts_record("v=STSv1;"));           // no id
  EXPECT_FALSE(parse_mta_sts_record("v=STSv1"));
  EXPECT_FALSE(parse_mta_sts_record("v=STSv2; id=1"));
  EXPECT_FALSE(parse_mta_sts_record("v=stsv1; id=1"));      // %s: case-sensitive
  EXPECT_FALSE(parse_mta_sts_record("v=STSv1 id=1"));       // no ';'
  EXPECT_FALSE(parse_mta_sts_record("v=STSv1; ; id=1"));    // an empty field
  EXPECT_FALSE(parse_mta_sts_record("v=STSv1; id=1; bad"));  // a field without '='
}

TEST(MtaStsRecord, SelectionNeedsExactlyOneVersionedRecord) {
  std::string why;
  auto r = select_mta_sts_record({"v=spf1 -all", "v=STSv1; id=7"}, &why);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "7");
  EXPECT_FALSE(select_mta_sts_record({"v=STSv1; id=7", "v=STSv1; id=8"}, &why));
  EXPECT_EQ(why, "more than one v=STSv1 record");
  EXPECT_FALSE(select_mta_sts_record({"v=spf1 -all"}, &why));
  EXPECT_EQ(why, "no v=STSv1 record");
  EXPECT_FALSE(select_mta_sts_record({"v=STSv1; id=!"}, &why));
  EXPECT_NE(why.find("invalid"), std::string::npos);
  // "v=STSv10" does not begin with the version v=STSv1: discarded, so the other one counts.
  EXPECT_TRUE(select_mta_sts_record({"v=STSv10; id=1", "v=STSv1; id=2"}, &why));
}

const char* const kEnforce =
    "version: STSv1\r\n"
    "mode: enforce\r\n"
    "mx: mail.example.com\r\n"
    "mx: *.example.net\r\n"
    "mx: backupmx.example.com\r\n"
    "max_age: 604800\r\n";

TEST(MtaStsPolicyFile, ParsesTheRfcExample) {
  auto p = parse_mta_sts_policy(kEnforce);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->mode, MtaStsMode::enforce);
  EXPECT_EQ(p->max_age, std::chrono::seconds(604800));
  EXPECT_EQ(p->mx, (std::vector<std::string>{"mail.example.com", "*.example.net", "backupmx.example.com"}));
  ASSERT_EQ(p->lines.size(), 6u);
  EXPECT_EQ(p->lines[0], "version: STSv1");
  EXPECT_EQ(p->lines[2], "mx: mail.example.com");
}

TEST(MtaStsPolicyFile, AcceptsLfLineEndsNoFinalLineEndAndTrailingSpace) {
  auto p = parse_mta_sts_policy("version: STSv1\nmode: testing  \nmx:MX.Example.COM.\nmax_age:86400");
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->mode, MtaStsMode::testing);
  EXPECT_EQ(p->mx, std::vector<std::string>{"mx.example.com"});
  EXPECT_EQ(p->max_age, std::chrono::seconds(86400));
}

TEST(MtaStsPolicyFile, RequiredFields) {
  EXPECT_FALSE(parse_mta_sts_policy("mode: enforce\nmx: a.example\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmx: a.example\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: testing\nmax_age: 1\n"));
  auto none = parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 1\n");  // mx optional
  ASSERT_TRUE(none) << none.error();
  EXPECT_EQ(none->mode, MtaStsMode::none);
}

TEST(MtaStsPolicyFile, ValuesAreCaseSensitiveAndChecked) {
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv2\nmode: none\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n\nx: y\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version STSv1\nmode: none\nmax_age: 1\n"));  // no ':'
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 1\nx:\n"));  // empty value
}

TEST(MtaStsPolicyFile, MaxAgeHasAtMostTenDigitsAndIsCutToTheLimit) {
  auto p = parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 31557600\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->max_age, kMtaStsMaxAgeLimit);
  p = parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 31557601\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->max_age, kMtaStsMaxAgeLimit);
  EXPECT_TRUE(parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 9999999999\n"));
  EXPECT_FALSE(parse_mta_sts_policy("version: STSv1\nmode: none\nmax_age: 10000000000\n"));
}

TEST(MtaStsPolicyFile, UnknownKeysIgnoredAndTheFirstOfADuplicateCounts) {
  auto p = parse_mta_sts_policy(
      "version: STSv1\nmode: enforce\nmode: none\nfuture_key: some value, here\nmx: a.example\n"
      "max_age: 60\nmax_age: 1\n");
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->mode, MtaStsMode::enforce);
  EXPECT_EQ(p->max_age, std::chrono::seconds(60));
}

TEST(MtaStsMx, WildcardCoversExactlyOneLeftmostLabel) {
  EXPECT_TRUE(mx_pattern_matches("mail.example.com", "mail.example.com"));
  EXPECT_TRUE(mx_pattern_matches("mail.example.com", "MAIL.Example.com."));
  EXPECT_FALSE(mx_pattern_matches("mail.example.com", "mail2.example.com"));
  EXPECT_TRUE(mx_pattern_matches("*.example.net", "mx1.example.net"));
  EXPECT_FALSE(mx_pattern_matches("*.example.net", "example.net"));
  EXPECT_FALSE(mx_pattern_matches("*.example.net", "a.b.example.net"));
  EXPECT_FALSE(mx_pattern_matches("*.example.net", ".example.net"));
  EXPECT_FALSE(mx_pattern_matches("*.example.net", "mx1.example.net.evil"));
}

TEST(MtaStsMx, PolicyAllowsOnlyListedHosts) {
  auto p = parse_mta_sts_policy(kEnforce);
  ASSERT_TRUE(p);
  EXPECT_TRUE(policy_allows_mx(*p, "backupmx.example.com"));
  EXPECT_TRUE(policy_allows_mx(*p, "x.example.net"));
  EXPECT_FALSE(policy_allows_mx(*p, "attacker.example.org"));
}

}  // namespace
}  // namespace hikyaku::relay
