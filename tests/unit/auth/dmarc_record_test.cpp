// DMARC Policy Record parsing, RFC 9989: every tag of §4.7 (v, p, sp, np, psd, t, adkim, aspf,
// fo, rua, ruf), the §4.8 rule that a tag with a syntax error is discarded in favour of its
// default, unknown tags ignored, pct/rf/ri gone (Appendix C.5.2, pct noted), and §4.10.1 for a
// record without a valid p=.
#include <gtest/gtest.h>

#include "auth/dmarc_record.hpp"

namespace hikyaku::auth {
namespace {

bool has_note(const DmarcRecord& r, std::string_view text) {
  for (const auto& n : r.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(DmarcRecord, Defaults) {
  const auto r = parse_dmarc_record("v=DMARC1; p=reject");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->p, DmarcPolicy::reject);
  EXPECT_FALSE(r->sp.has_value());
  EXPECT_FALSE(r->np.has_value());
  EXPECT_EQ(r->psd, PsdFlag::unspecified);
  EXPECT_FALSE(r->testing);
  EXPECT_EQ(r->adkim, AlignmentMode::relaxed);
  EXPECT_EQ(r->aspf, AlignmentMode::relaxed);
  EXPECT_EQ(r->fo, "0");
  EXPECT_TRUE(r->rua.empty());
  EXPECT_TRUE(r->ruf.empty());
  EXPECT_EQ(r->policy_state, PolicyState::published);
  EXPECT_TRUE(r->notes.empty());
  EXPECT_FALSE(r->pct.has_value());
}

TEST(DmarcRecord, EveryTag) {
  const auto full = parse_dmarc_record(
      "v=DMARC1 ; p = Quarantine; sp=none; np=reject; psd=n; t=y; adkim=s; aspf=S; fo=1:d; "
      "rua=mailto:a@example.com!10m, mailto:b@example.com; ruf=mailto:f@example.com; x=y;");
  ASSERT_TRUE(full.has_value()) << full.error().detail;
  EXPECT_EQ(full->p, DmarcPolicy::quarantine);
  EXPECT_EQ(full->sp, DmarcPolicy::none);
  EXPECT_EQ(full->np, DmarcPolicy::reject);
  EXPECT_EQ(full->psd, PsdFlag::no);
  EXPECT_TRUE(full->testing);
  EXPECT_EQ(full->adkim, AlignmentMode::strict);
  EXPECT_EQ(full->aspf, AlignmentMode::strict);
  EXPECT_EQ(full->fo, "1:d");
  EXPECT_EQ(full->rua, (std::vector<std::string>{"mailto:a@example.com!10m", "mailto:b@example.com"}));
  EXPECT_EQ(full->ruf, std::vector<std::string>{"mailto:f@example.com"});
  EXPECT_EQ(full->policy_state, PolicyState::published);
  EXPECT_TRUE(full->notes.empty()) << full->notes.front();  // x=y: unknown, ignored silently

  const auto psd_y = parse_dmarc_record("v=DMARC1; p=reject; psd=y; t=n");
  ASSERT_TRUE(psd_y.has_value());
  EXPECT_EQ(psd_y->psd, PsdFlag::yes);
  EXPECT_FALSE(psd_y->testing);
  EXPECT_EQ(parse_dmarc_record("v=DMARC1; p=none; psd=u")->psd, PsdFlag::unspecified);
}

TEST(DmarcRecord, RemovedTagsAreIgnored) {
  // Appendix A.6 / C.5.2: pct, rf and ri are no DMARC tags any more; pct= is noted.
  const auto r = parse_dmarc_record("v=DMARC1; p=reject; pct=10; rf=bob; ri=x");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->p, DmarcPolicy::reject);
  EXPECT_EQ(r->pct, "10");
  EXPECT_TRUE(has_note(*r, "pct=10 ignored"));
  EXPECT_TRUE(has_note(*r, "rf=bob ignored"));
  EXPECT_TRUE(has_note(*r, "ri=x ignored"));
  EXPECT_EQ(r->policy_state, PolicyState::published);
  // Even an out-of-range pct does not make the record invalid any more.
  EXPECT_EQ(parse_dmarc_record("v=DMARC1; p=quarantine; pct=500")->p, DmarcPolicy::quarantine);
}

TEST(DmarcRecord, BadTagsFallBackToDefaults) {
  // §4.8: "Syntax errors in the remainder of the record MUST be discarded in favor of default
  // values (if any) or ignored outright."
  struct Case {
    const char* record;
    const char* note;
  };
  const Case cases[] = {
      {"v=DMARC1; p=reject; adkim=relaxed", "adkim=relaxed"},
      {"v=DMARC1; p=reject; aspf=x", "aspf=x"},
      {"v=DMARC1; p=reject; psd=maybe", "psd=maybe"},
      {"v=DMARC1; p=reject; t=yes", "t=yes"},
      {"v=DMARC1; p=reject; fo=2", "fo=2"},
      {"v=DMARC1; p=reject; fo=0:1", "fo=0:1"},      // 0 and 1 are mutually exclusive
      {"v=DMARC1; p=reject; fo=d:d", "fo=d:d"},      // each at most once
      {"v=DMARC1; p=reject; reject", "\"reject\" is not tag=value"},
      {"v=DMARC1; p=reject; 1x=y", "\"1x=y\" is not tag=value"},  // dmarc-tag = 1*ALPHA
      {"v=DMARC1; p=reject; =y", "\"=y\" is not tag=value"},
      {"v=DMARC1; p=reject; p=none", "p= repeated"},  // the first counts
      {"v=DMARC1; p=reject; rua=not a uri", "is not a URI"},
  };
  for (const auto& c : cases) {
    const auto r = parse_dmarc_record(c.record);
    ASSERT_TRUE(r.has_value()) << c.record;
    EXPECT_EQ(r->p, DmarcPolicy::reject) << c.record;
    EXPECT_EQ(r->policy_state, PolicyState::published) << c.record;
    EXPECT_EQ(r->adkim, AlignmentMode::relaxed) << c.record;
    EXPECT_EQ(r->aspf, AlignmentMode::relaxed) << c.record;
    EXPECT_EQ(r->psd, PsdFlag::unspecified) << c.record;
    EXPECT_FALSE(r->testing) << c.record;
    EXPECT_EQ(r->fo, "0") << c.record;
    EXPECT_TRUE(r->rua.empty()) << c.record;
    EXPECT_TRUE(has_note(*r, c.note)) << c.record << ": " << (r->notes.empty() ? "no note" : r->notes.front());
  }
  // A control character in a value is outside dmarc-value (%x20-3A / %x3C-7E).
  const auto ctl = parse_dmarc_record(std::string_view("v=DMARC1; p=reject; adkim=s\x01", 28));
  ASSERT_TRUE(ctl.has_value());
  EXPECT_EQ(ctl->adkim, AlignmentMode::relaxed);
  EXPECT_EQ(ctl->p, DmarcPolicy::reject);
}

TEST(DmarcRecord, NotADmarcRecord) {
  struct Bad {
    const char* record;
    DmarcRecordError error;
  };
  const Bad cases[] = {
      {"", DmarcRecordError::empty},
      {"   ", DmarcRecordError::empty},
      {"v=DMARC2; p=none", DmarcRecordError::bad_version},
      {"v=dmarc1; p=none", DmarcRecordError::bad_version},  // %s"DMARC1": case-sensitive (§4.8)
      {"p=none; v=DMARC1", DmarcRecordError::bad_version},  // v must be the first tag (§4.7)
      {"v=spf1 -all", DmarcRecordError::bad_version},
  };
  for (const auto& c : cases) {
    const auto r = parse_dmarc_record(c.record);
    ASSERT_FALSE(r.has_value()) << c.record;
    EXPECT_EQ(r.error().code, c.error) << c.record;
  }
}

TEST(DmarcRecord, WithoutAValidPolicy) {
  // §4.10.1: no valid p= (or an invalid sp=/np=) and no valid rua=: no DMARC processing.
  for (const char* rec : {"v=DMARC1; p=r", "v=DMARC1; p=bob", "v=DMARC1; p=", "v=DMARC1; p=none; sp=bob",
                          "v=DMARC1; p=reject; np=block", "v=DMARC1; pct=100", "v=DMARC1; rua=not a uri",
                          "v=DMARC1; sp=quarantine; np=reject", "v=DMARC1"}) {
    const auto r = parse_dmarc_record(rec);
    ASSERT_TRUE(r.has_value()) << rec;
    EXPECT_EQ(r->policy_state, PolicyState::unusable) << rec;
  }
  // With a valid rua=: "act as if a record containing p=none was retrieved".
  const auto r = parse_dmarc_record("v=DMARC1; rua=mailto:d@example.org");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->p, DmarcPolicy::none);
  EXPECT_EQ(r->policy_state, PolicyState::defaulted);
  const auto bad_np = parse_dmarc_record("v=DMARC1; p=reject; sp=quarantine; np=x; rua=mailto:d@example.org");
  ASSERT_TRUE(bad_np.has_value());
  EXPECT_EQ(bad_np->policy_state, PolicyState::defaulted);
  EXPECT_EQ(bad_np->p, DmarcPolicy::none);
  EXPECT_FALSE(bad_np->sp.has_value());
  EXPECT_FALSE(bad_np->np.has_value());
  // psd= is read even then: the Tree Walk needs it (§4.10 step 2).
  EXPECT_EQ(parse_dmarc_record("v=DMARC1; psd=y")->psd, PsdFlag::yes);
}

TEST(DmarcRecord, LongReportingListsKept) {
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
