// The DMARC decision (RFC 7489 §6.6): table-driven over p/sp/pct/adkim/aspf and the record's
// origin, plus regression tests for libopendmarc 1.4.2's alignment and org-domain bugs.
#include <gtest/gtest.h>

#include "auth/dmarc_evaluate.hpp"

namespace hikyaku::auth {
namespace {

DmarcRecordLookup found(const std::string& record, const std::string& at, bool org = false) {
  DmarcRecordLookup l;
  auto r = parse_dmarc_record(record);
  EXPECT_TRUE(r.has_value()) << record;
  l.status = DmarcRecordLookup::Status::found;
  l.record = *r;
  l.record_domain = at;
  l.from_org_domain = org;
  l.text = record;
  return l;
}

SpfVerdict spf(SpfResult r, const std::string& domain) {
  SpfVerdict v;
  v.mail_from.result = r;
  v.mail_from.identity = "user@" + domain;
  v.mail_from.domain = domain;
  return v;
}

DkimVerdict dkim(DkimResult r, const std::string& d) {
  DkimSignatureOutcome s;
  s.result = r;
  s.domain = d;
  s.selector = "sel";
  return {s};
}

struct Row {
  const char* name;
  const char* from;
  const char* record;
  const char* record_at;
  bool org;
  SpfResult spf_result;
  const char* spf_domain;
  DkimResult dkim_result;
  const char* dkim_d;
  int roll;
  DmarcResult result;
  DmarcPolicy policy;
  DmarcPolicy disposition;
  bool sampled_out;
};

constexpr auto P = SpfResult::pass;
constexpr auto F = SpfResult::fail;
constexpr auto DP = DkimResult::pass;
constexpr auto DF = DkimResult::fail;
constexpr auto pass = DmarcResult::pass;
constexpr auto fail = DmarcResult::fail;
constexpr auto none = DmarcPolicy::none;
constexpr auto q = DmarcPolicy::quarantine;
constexpr auto rj = DmarcPolicy::reject;

TEST(DmarcEvaluate, Table) {
  const Row rows[] = {
      {"dkim aligned exact", "example.com", "v=DMARC1; p=reject", "example.com", false, F, "other.net", DP, "example.com", 0, pass, rj, none, false},
      {"spf aligned exact", "example.com", "v=DMARC1; p=reject", "example.com", false, P, "example.com", DF, "example.com", 0, pass, rj, none, false},
      {"spf relaxed subdomain", "example.com", "v=DMARC1; p=reject", "example.com", false, P, "bounce.example.com", DF, "x.net", 0, pass, rj, none, false},
      {"spf strict subdomain", "example.com", "v=DMARC1; p=reject; aspf=s", "example.com", false, P, "bounce.example.com", DF, "x.net", 0, fail, rj, rj, false},
      {"dkim relaxed parent", "mail.example.com", "v=DMARC1; p=reject", "mail.example.com", false, F, "x.net", DP, "example.com", 0, pass, rj, none, false},
      {"dkim strict parent", "mail.example.com", "v=DMARC1; p=reject; adkim=s", "mail.example.com", false, F, "x.net", DP, "example.com", 0, fail, rj, rj, false},
      {"dkim pass unaligned", "example.com", "v=DMARC1; p=quarantine", "example.com", false, F, "x.net", DP, "example.net", 0, fail, q, q, false},
      {"spf pass unaligned", "example.com", "v=DMARC1; p=none", "example.com", false, P, "example.net", DF, "example.com", 0, fail, none, none, false},
      {"spf softfail aligned", "example.com", "v=DMARC1; p=reject", "example.com", false, SpfResult::softfail, "example.com", DkimResult::none, "", 0, fail, rj, rj, false},
      {"sp from org record", "a.example.com", "v=DMARC1; p=reject; sp=quarantine", "example.com", true, F, "x.net", DF, "x.net", 0, fail, q, q, false},
      {"p when no sp", "a.example.com", "v=DMARC1; p=reject", "example.com", true, F, "x.net", DF, "x.net", 0, fail, rj, rj, false},
      {"p at own record", "a.example.com", "v=DMARC1; p=reject; sp=none", "a.example.com", false, F, "x.net", DF, "x.net", 0, fail, rj, rj, false},
      {"pct sampled in", "example.com", "v=DMARC1; p=reject; pct=50", "example.com", false, F, "x.net", DF, "x.net", 49, fail, rj, rj, false},
      {"pct sampled out reject", "example.com", "v=DMARC1; p=reject; pct=50", "example.com", false, F, "x.net", DF, "x.net", 50, fail, rj, q, true},
      {"pct sampled out quarantine", "example.com", "v=DMARC1; p=quarantine; pct=10", "example.com", false, F, "x.net", DF, "x.net", 99, fail, q, none, true},
      {"pct=0 always out", "example.com", "v=DMARC1; p=reject; pct=0", "example.com", false, F, "x.net", DF, "x.net", 0, fail, rj, q, true},
      {"pct=100 never out", "example.com", "v=DMARC1; p=reject", "example.com", false, F, "x.net", DF, "x.net", 99, fail, rj, rj, false},
      {"pct ignored on pass", "example.com", "v=DMARC1; p=reject; pct=0", "example.com", false, P, "example.com", DF, "x.net", 99, pass, rj, none, false},
      // libopendmarc 1.4.2 regressions (research/deps.md §5): these must NOT align.
      {"paypal vs x.com", "paypal.com", "v=DMARC1; p=reject", "paypal.com", false, P, "x.com", DP, "x.com", 0, fail, rj, rj, false},
      {"github.io siblings", "victim.github.io", "v=DMARC1; p=reject", "victim.github.io", false, P, "x.github.io", DP, "x.github.io", 0, fail, rj, rj, false},
      {"co.uk siblings", "example.co.uk", "v=DMARC1; p=reject", "example.co.uk", false, P, "b.co.uk", DP, "b.co.uk", 0, fail, rj, rj, false},
      {"kawasaki.jp wildcard", "foo.bar.kawasaki.jp", "v=DMARC1; p=reject", "foo.bar.kawasaki.jp", false, F, "x.net", DP, "baz.bar.kawasaki.jp", 0, fail, rj, rj, false},
      {"kawasaki.jp same org", "a.foo.bar.kawasaki.jp", "v=DMARC1; p=reject", "foo.bar.kawasaki.jp", true, F, "x.net", DP, "foo.bar.kawasaki.jp", 0, pass, rj, none, false},
      {"example.test relaxed", "mail.example.test", "v=DMARC1; p=reject", "example.test", true, P, "bounce.example.test", DF, "x.net", 0, pass, rj, none, false},
  };
  for (const auto& r : rows) {
    const auto lookup = found(r.record, r.record_at, r.org);
    const auto o = evaluate_dmarc(r.from, lookup, spf(r.spf_result, r.spf_domain),
                                  dkim(r.dkim_result, r.dkim_d), r.roll);
    EXPECT_EQ(o.result, r.result) << r.name << ": " << to_string(o.result);
    EXPECT_EQ(o.policy, r.policy) << r.name;
    EXPECT_EQ(o.disposition, r.disposition) << r.name;
    EXPECT_EQ(o.sampled_out, r.sampled_out) << r.name;
    EXPECT_EQ(o.from_domain, r.from) << r.name;
    EXPECT_EQ(o.record_domain, r.record_at) << r.name;
  }
}

TEST(DmarcEvaluate, AlignedFlagsAndSeveralSignatures) {
  DkimVerdict sigs = dkim(DF, "example.com");
  sigs.push_back(dkim(DP, "other.net").front());
  sigs.push_back(dkim(DP, "mail.example.com").front());
  const auto o = evaluate_dmarc("example.com", found("v=DMARC1; p=reject", "example.com"),
                                spf(P, "other.net"), sigs, 0);
  EXPECT_EQ(o.result, DmarcResult::pass);
  EXPECT_TRUE(o.dkim_aligned);
  EXPECT_FALSE(o.spf_aligned);
}

TEST(DmarcEvaluate, NullSenderUsesTheHeloIdentity) {
  // RFC 7208 §2.4: for "<>" SPF checks postmaster@HELO; that is the MAIL FROM identity.
  SpfVerdict v;
  v.mail_from.result = SpfResult::pass;
  v.mail_from.identity = "postmaster@mx.example.com";
  const auto o = evaluate_dmarc("example.com", found("v=DMARC1; p=reject", "example.com"), v, {}, 0);
  EXPECT_EQ(o.result, DmarcResult::pass);
  EXPECT_TRUE(o.spf_aligned);
}

TEST(DmarcEvaluate, HeloPassDoesNotCount) {
  SpfVerdict v = spf(SpfResult::none, "other.net");
  v.helo.result = SpfResult::pass;
  v.helo.identity = "postmaster@example.com";
  v.helo.domain = "example.com";
  const auto o = evaluate_dmarc("example.com", found("v=DMARC1; p=reject", "example.com"), v, {}, 0);
  EXPECT_EQ(o.result, DmarcResult::fail);
}

TEST(DmarcEvaluate, LookupOutcomes) {
  DmarcRecordLookup l;
  l.status = DmarcRecordLookup::Status::none;
  EXPECT_EQ(evaluate_dmarc("example.com", l, {}, {}, 0).result, DmarcResult::none);
  l.status = DmarcRecordLookup::Status::temperror;
  auto o = evaluate_dmarc("example.com", l, spf(P, "example.com"), {}, 0);
  EXPECT_EQ(o.result, DmarcResult::temperror);
  EXPECT_EQ(o.disposition, DmarcPolicy::none);
  l.status = DmarcRecordLookup::Status::invalid;
  l.record_domain = "example.com";
  l.detail = "syntax: no '='";
  o = evaluate_dmarc("example.com", l, {}, {}, 0);
  EXPECT_EQ(o.result, DmarcResult::permerror);
  EXPECT_EQ(o.record_domain, "example.com");
  l.status = DmarcRecordLookup::Status::found;  // found without a record: a caller's mistake
  EXPECT_EQ(evaluate_dmarc("example.com", l, {}, {}, 0).result, DmarcResult::permerror);
}

TEST(DmarcEvaluate, RollClamped) {
  const auto l = found("v=DMARC1; p=reject; pct=50", "example.com");
  EXPECT_FALSE(evaluate_dmarc("example.com", l, {}, {}, -5).sampled_out);
  EXPECT_TRUE(evaluate_dmarc("example.com", l, {}, {}, 1000).sampled_out);
}

TEST(DmarcEvaluate, Milder) {
  EXPECT_EQ(milder(DmarcPolicy::reject), DmarcPolicy::quarantine);
  EXPECT_EQ(milder(DmarcPolicy::quarantine), DmarcPolicy::none);
  EXPECT_EQ(milder(DmarcPolicy::none), DmarcPolicy::none);
}

}  // namespace
}  // namespace hikyaku::auth

namespace hikyaku::auth {
namespace {

// An aligned identifier that could not be checked makes the result temperror (the sender
// retries); an unaligned one does not matter.
TEST(DmarcEvaluate, TempErrorOfAnAlignedIdentifier) {
  const auto rec = found("v=DMARC1; p=reject", "example.com");
  auto out = evaluate_dmarc("example.com", rec, spf(SpfResult::temperror, "mail.example.com"), {}, 0);
  EXPECT_EQ(out.result, DmarcResult::temperror);
  EXPECT_EQ(out.policy, DmarcPolicy::reject);
  out = evaluate_dmarc("example.com", rec, spf(SpfResult::fail, "example.com"),
                       dkim(DkimResult::temperror, "example.com"), 0);
  EXPECT_EQ(out.result, DmarcResult::temperror);
  out = evaluate_dmarc("example.com", rec, spf(SpfResult::temperror, "other.example"),
                       dkim(DkimResult::temperror, "x.example"), 0);
  EXPECT_EQ(out.result, DmarcResult::fail);
  // A pass elsewhere still decides.
  out = evaluate_dmarc("example.com", rec, spf(SpfResult::temperror, "example.com"),
                       dkim(DkimResult::pass, "example.com"), 0);
  EXPECT_EQ(out.result, DmarcResult::pass);
}

}  // namespace
}  // namespace hikyaku::auth
