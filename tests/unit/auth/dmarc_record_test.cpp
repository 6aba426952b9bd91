// DMARC record parsing: RFC 7489 §6.3 tags and defaults, §6.4 grammar, §6.6.3 step 6; and the
// places where libopendmarc 1.4.2's parser is more generous than the grammar.
#include <gtest/gtest.h>

#include "auth/dmarc_record.hpp"

namespace hikyaku::auth {
namespace {

TEST(DmarcRecord, DefaultsAndValues) {
  const auto r = parse_dmarc_record("v=DMARC1; p=reject");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->p, DmarcPolicy::reject);
  EXPECT_FALSE(r->sp.has_value());
  EXPECT_EQ(r->pct, 100);
  EXPECT_EQ(r->adkim, AlignmentMode::relaxed);
  EXPECT_EQ(r->aspf, AlignmentMode::relaxed);
  EXPECT_EQ(r->ri, 86400u);
  EXPECT_FALSE(r->p_defaulted);

  const auto full = parse_dmarc_record(
      "v=DMARC1 ; p = Quarantine; sp=none; adkim=s; aspf=S; pct=25; ri=3600; fo=1:d; rf=afrf; "
      "rua=mailto:a@example.com!10m, mailto:b@example.com; ruf=mailto:f@example.com; x=y;");
  ASSERT_TRUE(full.has_value()) << full.error().detail;
  EXPECT_EQ(full->p, DmarcPolicy::quarantine);
  EXPECT_EQ(full->sp, DmarcPolicy::none);
  EXPECT_EQ(full->pct, 25);
  EXPECT_EQ(full->adkim, AlignmentMode::strict);
  EXPECT_EQ(full->aspf, AlignmentMode::strict);
  EXPECT_EQ(full->ri, 3600u);
  EXPECT_EQ(full->fo, "1:d");
  EXPECT_EQ(full->rua, (std::vector<std::string>{"mailto:a@example.com!10m", "mailto:b@example.com"}));
  EXPECT_EQ(full->ruf, std::vector<std::string>{"mailto:f@example.com"});
}

struct Bad {
  const char* record;
  DmarcRecordError error;
};

TEST(DmarcRecord, Errors) {
  const Bad cases[] = {
      {"", DmarcRecordError::empty},
      {"v=DMARC2; p=none", DmarcRecordError::bad_version},
      {"v=dmarc1; p=none", DmarcRecordError::bad_version},  // %x-coded in §6.4
      {"p=none; v=DMARC1", DmarcRecordError::bad_version},
      {"v=DMARC1; p=none; reject", DmarcRecordError::syntax},
      {"v=DMARC1; p=none; p=reject", DmarcRecordError::syntax},
      {"v=DMARC1; p=none; v=DMARC1", DmarcRecordError::syntax},
      {"v=DMARC1; p=none; 1x=y", DmarcRecordError::syntax},
      {"v=DMARC1; p=none\r\n; sp=reject", DmarcRecordError::syntax},
      {"v=DMARC1; p=none; pct=101", DmarcRecordError::bad_value},
      {"v=DMARC1; p=none; pct=50abc", DmarcRecordError::bad_value},
      {"v=DMARC1; p=none; pct=", DmarcRecordError::bad_value},
      {"v=DMARC1; p=none; pct=-1", DmarcRecordError::bad_value},
      {"v=DMARC1; p=none; adkim=relaxed", DmarcRecordError::bad_value},
      {"v=DMARC1; p=none; ri=bob", DmarcRecordError::bad_value},
      {"v=DMARC1; p=none; fo=2", DmarcRecordError::bad_value},
      {"v=DMARC1; p=none; rf=bob", DmarcRecordError::bad_value},
      {"v=DMARC1; p=r", DmarcRecordError::bad_policy},  // libopendmarc: any prefix of a word
      {"v=DMARC1; p=bob", DmarcRecordError::bad_policy},
      {"v=DMARC1; p=none; sp=bob", DmarcRecordError::bad_policy},
      {"v=DMARC1; pct=100", DmarcRecordError::missing_policy},
      {"v=DMARC1; p=", DmarcRecordError::bad_policy},
      {"v=DMARC1; rua=not a uri", DmarcRecordError::missing_policy},
  };
  for (const auto& c : cases) {
    const auto r = parse_dmarc_record(c.record);
    ASSERT_FALSE(r.has_value()) << c.record;
    EXPECT_EQ(r.error().code, c.error) << c.record << ": " << to_string(r.error().code) << " "
                                       << r.error().detail;
  }
}

TEST(DmarcRecord, MissingPolicyWithReportingAddressIsNone) {
  // §6.6.3 step 6: act as if p=none when rua= holds a valid URI.
  const auto r = parse_dmarc_record("v=DMARC1; rua=mailto:d@example.org");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->p, DmarcPolicy::none);
  EXPECT_TRUE(r->p_defaulted);
  const auto bad_sp = parse_dmarc_record("v=DMARC1; p=reject; sp=x; rua=mailto:d@example.org");
  ASSERT_TRUE(bad_sp.has_value());
  EXPECT_EQ(bad_sp->p, DmarcPolicy::none);
  EXPECT_FALSE(bad_sp->sp.has_value());
}

TEST(DmarcRecord, LongReportingListsKept) {
  // libopendmarc skips values over 512 octets; the rua list is read by us.
  std::string rec = "v=DMARC1; p=reject; rua=";
  for (int i = 0; i < 40; ++i) rec += (i ? "," : "") + std::string("mailto:reports") + std::to_string(i) + "@example.com";
  const auto r = parse_dmarc_record(rec);
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->rua.size(), 40u);
  EXPECT_EQ(r->p, DmarcPolicy::reject);
}

TEST(DmarcRecord, Candidates) {
  EXPECT_TRUE(is_dmarc_record("v=DMARC1; p=none"));
  EXPECT_TRUE(is_dmarc_record("v=DMARC1"));
  EXPECT_TRUE(is_dmarc_record("V = DMARC1;p=none"));
  EXPECT_FALSE(is_dmarc_record("v=DMARC10; p=none"));
  EXPECT_FALSE(is_dmarc_record("v=spf1 -all"));
  EXPECT_FALSE(is_dmarc_record(" v=DMARC1; p=none"));
  EXPECT_FALSE(is_dmarc_record(""));
}

}  // namespace
}  // namespace hikyaku::auth
