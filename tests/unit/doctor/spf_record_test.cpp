// The doctor's SPF record reader (RFC 7208 §12): what it accepts, and the column of each error.
#include <gtest/gtest.h>

#include "doctor/spf_record.hpp"

namespace hikyaku::doctor {
namespace {

TEST(SpfRecord, RecordSelectionFollowsSection45) {
  EXPECT_TRUE(is_spf_record("v=spf1"));
  EXPECT_TRUE(is_spf_record("V=SPF1 -all"));
  EXPECT_FALSE(is_spf_record("v=spf10 -all"));
  EXPECT_FALSE(is_spf_record("v=spf1-all"));
  EXPECT_FALSE(is_spf_record("spf1 -all"));
}

TEST(SpfRecord, ParsesEveryMechanismAndModifier) {
  auto r = parse_spf_record(
      "v=spf1 +a -mx:example.com/24//64 ~ptr ?include:_spf.example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 "
      "exists:%{i}._spf.example.com redirect=_spf.example.net exp=explain.example.com x-custom=%{d} all");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->terms.size(), 11u);
  EXPECT_EQ(r->terms[0].name, "a");
  EXPECT_EQ(r->terms[1].qualifier, '-');
  EXPECT_EQ(r->terms[1].domain, "example.com");
  EXPECT_EQ(r->terms[1].cidr4, 24u);
  EXPECT_EQ(r->terms[1].cidr6, 64u);
  EXPECT_EQ(r->terms[2].qualifier, '~');
  EXPECT_EQ(r->terms[3].column, 39u);
  EXPECT_TRUE(r->terms[6].macros);
  EXPECT_EQ(r->find_modifier("redirect")->domain, "_spf.example.net");
  EXPECT_EQ(r->find_all()->qualifier, '+');
}

struct Bad {
  const char* record;
  size_t column;
  const char* message_part;
};

class SpfRecordErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(SpfRecordErrors, AreReportedWithTheirColumn) {
  auto r = parse_spf_record(GetParam().record);
  ASSERT_FALSE(r) << GetParam().record;
  EXPECT_EQ(r.error().column, GetParam().column) << r.error().message;
  EXPECT_NE(r.error().message.find(GetParam().message_part), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, SpfRecordErrors,
    ::testing::Values(Bad{"v=spf1 a foo -all", 10, "unknown mechanism"},
                      Bad{"v=spf1 include -all", 15, "needs"},
                      Bad{"v=spf1 ip4:192.0.2.300 -all", 12, "not an IPv4 network"},
                      Bad{"v=spf1 ip4:192.0.2.0/33", 12, "IPv4 network"},
                      Bad{"v=spf1 ip6:192.0.2.1", 12, "IPv6 network"},
                      Bad{"v=spf1 a/33", 9, "CIDR"},
                      Bad{"v=spf1 include:localhost", 16, "no dot"},
                      Bad{"v=spf1 include:example.123", 24, "top label"},
                      Bad{"v=spf1 exists:%{z}.example.com", 15, "macro letter"},
                      Bad{"v=spf1 exists:%x.example.com", 15, "bad macro"},
                      Bad{"v=spf1 redirect=a.example redirect=b.example", 27, "second redirect"},
                      Bad{"v=spf1 all:x", 11, "no argument"},
                      Bad{"v=spf1 1bad=x", 8, "modifier name"},
                      Bad{"v=spf1 mx\t-all", 10, "unexpected"}));

TEST(SpfRecord, SpacesMayRepeatAndTrail) {
  auto r = parse_spf_record("v=spf1  mx   -all ");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->terms.size(), 2u);
  EXPECT_EQ(r->terms[1].column, 14u);
}

}  // namespace
}  // namespace hikyaku::doctor
