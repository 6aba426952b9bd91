// The DMARC decision (RFC 9989 §5.3) over zone-file answers: strict and relaxed alignment with
// Organizational Domains from the Tree Walk (§4.4, §4.10.2), p / sp / np, t=y one level below
// (§4.7), pct= ignored, temporary failures (§5.3.6); and the cases libopendmarc 1.4.2 got wrong
// (research/deps.md §5) as regression tests.
#include <gtest/gtest.h>

#include "dmarc_test_support.hpp"

namespace hikyaku::auth {
namespace {

using testing::dkim;
using testing::RecordingResolver;
using testing::spf;
using testing::zone;

const std::string kZone = zone(
    "_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.strict.example IN TXT \"v=DMARC1; p=reject; aspf=s; adkim=s\"\n"
    "_dmarc.quarantine IN TXT \"v=DMARC1; p=quarantine\"\n"
    "_dmarc.none IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.subs IN TXT \"v=DMARC1; p=reject; sp=quarantine; np=none\"\n"
    "www.subs IN A 192.0.2.1\n"
    "_dmarc.testing IN TXT \"v=DMARC1; p=reject; t=y\"\n"
    "_dmarc.testingq IN TXT \"v=DMARC1; p=quarantine; t=y\"\n"
    "_dmarc.pct IN TXT \"v=DMARC1; p=reject; pct=0\"\n"
    "_dmarc.paypal IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.victim.io IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.io IN TXT \"v=DMARC1; p=none; psd=y\"\n"
    "_dmarc.signing.corp IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.corp IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.dept.org IN TXT \"v=DMARC1; p=reject; psd=n\"\n"
    "_dmarc.org IN TXT \"v=DMARC1; p=quarantine\"\n");

constexpr auto P = SpfResult::pass;
constexpr auto F = SpfResult::fail;
constexpr auto DP = DkimResult::pass;
constexpr auto DF = DkimResult::fail;
constexpr auto pass = DmarcResult::pass;
constexpr auto fail = DmarcResult::fail;
constexpr auto none = DmarcPolicy::none;
constexpr auto q = DmarcPolicy::quarantine;
constexpr auto rj = DmarcPolicy::reject;

struct Row {
  const char* name;
  const char* from;
  SpfResult spf_result;
  const char* spf_domain;
  DkimResult dkim_result;
  const char* dkim_d;
  DmarcResult result;
  DmarcPolicy policy;
  DmarcPolicy disposition;
  const char* record_domain;
};

TEST(DmarcEvaluate, Table) {
  const Row rows[] = {
      {"dkim aligned exact", "example.test", F, "other.test", DP, "example.test", pass, rj, none, "example.test"},
      {"spf aligned exact", "example.test", P, "example.test", DF, "example.test", pass, rj, none, "example.test"},
      {"spf relaxed subdomain", "example.test", P, "bounce.example.test", DF, "x.test", pass, rj, none, "example.test"},
      {"spf strict subdomain", "strict.example.test", P, "bounce.strict.example.test", DF, "x.test", fail, rj, rj,
       "strict.example.test"},
      {"dkim relaxed parent", "mail.example.test", F, "x.test", DP, "example.test", pass, rj, none, "example.test"},
      {"dkim relaxed sibling", "a.example.test", F, "x.test", DP, "b.example.test", pass, rj, none, "example.test"},
      {"dkim strict parent", "strict.example.test", F, "x.test", DP, "example.test", fail, rj, rj,
       "strict.example.test"},
      {"dkim pass unaligned", "quarantine.test", F, "x.test", DP, "example.test", fail, q, q, "quarantine.test"},
      {"spf pass unaligned", "none.test", P, "example.test", DF, "none.test", fail, none, none, "none.test"},
      {"spf softfail aligned", "example.test", SpfResult::softfail, "example.test", DkimResult::none, "", fail, rj, rj,
       "example.test"},
      {"sp for an existing subdomain", "www.subs.test", F, "x.test", DF, "x.test", fail, q, q, "subs.test"},
      {"np for a missing subdomain", "ghost.subs.test", F, "x.test", DF, "x.test", fail, none, none, "subs.test"},
      {"p at the author's own record", "subs.test", F, "x.test", DF, "x.test", fail, rj, rj, "subs.test"},
      // §4.7 t=y: one level below; no effect on a pass.
      {"t=y reject -> quarantine", "testing.test", F, "x.test", DF, "x.test", fail, rj, q, "testing.test"},
      {"t=y quarantine -> none", "testingq.test", F, "x.test", DF, "x.test", fail, q, none, "testingq.test"},
      {"t=y pass", "testing.test", P, "testing.test", DF, "x.test", pass, rj, none, "testing.test"},
      // Appendix A.6: pct is gone; pct=0 no longer softens anything.
      {"pct ignored", "pct.test", F, "x.test", DF, "x.test", fail, rj, rj, "pct.test"},
      // §4.10.2 / Appendix B.4.1: signing.corp has its own record, corp's has fewer labels.
      {"org from fewest labels", "corp.test", F, "x.test", DP, "signing.corp.test", pass, rj, none, "corp.test"},
      // psd=n: dept.org.test is its own Organizational Domain, org.test's subdomains are not it.
      {"psd=n boundary", "dept.org.test", P, "other.org.test", DF, "x.test", fail, rj, rj, "dept.org.test"},
      {"psd=n below", "a.dept.org.test", P, "b.dept.org.test", DF, "x.test", pass, rj, none, "dept.org.test"},
      // libopendmarc 1.4.2 regressions (research/deps.md §5): these must NOT align.
      {"paypal vs x", "paypal.test", P, "x.test", DP, "x.test", fail, rj, rj, "paypal.test"},
      {"psd=y siblings", "victim.io.test", P, "x.io.test", DP, "x.io.test", fail, rj, rj, "victim.io.test"},
  };
  for (const auto& r : rows) {
    RecordingResolver resolver(kZone);
    const auto o = testing::evaluate(resolver, r.from, spf(r.spf_result, r.spf_domain), dkim(r.dkim_result, r.dkim_d));
    EXPECT_EQ(o.result, r.result) << r.name << ": " << to_string(o.result) << " " << o.reason;
    EXPECT_EQ(o.policy, r.policy) << r.name;
    EXPECT_EQ(o.disposition, r.disposition) << r.name;
    EXPECT_EQ(o.from_domain, r.from) << r.name;
    EXPECT_EQ(o.record_domain, r.record_domain) << r.name;
  }
}

TEST(DmarcEvaluate, OutcomeCarriesPolicyDomainAndNotes) {
  RecordingResolver r(kZone);
  const auto o = testing::evaluate(r, "ghost.subs.test", spf(F, "x.test"), {});
  EXPECT_EQ(o.policy_source, DmarcPolicySource::organizational_domain);
  EXPECT_EQ(o.org_domain, "subs.test");
  EXPECT_EQ(o.policy_tag, "np");
  const auto p = testing::evaluate(r, "pct.test", spf(F, "x.test"), {});
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_NE(p.notes[0].find("pct=0 ignored"), std::string::npos);
  EXPECT_TRUE(testing::evaluate(r, "testing.test", spf(F, "x.test"), {}).testing);
}

TEST(DmarcEvaluate, WalksOnlyWhatAlignmentNeeds) {
  // Identical names and identifiers outside the Author Domain's Organizational Domain need no
  // walk of their own; a relaxed subdomain identifier needs one.
  RecordingResolver r(kZone);
  (void)testing::evaluate(r, "example.test", spf(P, "example.test"), dkim(DP, "unrelated.test"));
  for (const auto& a : r.asked) {
    EXPECT_EQ(a.find("unrelated"), std::string::npos) << a;
  }
  r.asked.clear();
  (void)testing::evaluate(r, "example.test", spf(P, "bounce.example.test"), {});
  EXPECT_NE(std::find(r.asked.begin(), r.asked.end(), "_dmarc.bounce.example.test TXT"), r.asked.end());
  // A failed check is no Authenticated Identifier: no walk for it.
  r.asked.clear();
  (void)testing::evaluate(r, "example.test", spf(F, "bounce.example.test"), dkim(DF, "mail.example.test"));
  for (const auto& a : r.asked) {
    EXPECT_EQ(a.find("bounce"), std::string::npos) << a;
    EXPECT_EQ(a.find("mail."), std::string::npos) << a;
  }
}

TEST(DmarcEvaluate, AlignedFlagsAndSeveralSignatures) {
  RecordingResolver r(kZone);
  DkimVerdict sigs = dkim(DF, "example.test");
  sigs.push_back(dkim(DP, "other.test").front());
  sigs.push_back(dkim(DP, "mail.example.test").front());
  const auto o = testing::evaluate(r, "example.test", spf(P, "other.test"), sigs);
  EXPECT_EQ(o.result, DmarcResult::pass);
  EXPECT_TRUE(o.dkim_aligned);
  EXPECT_FALSE(o.spf_aligned);
}

TEST(DmarcEvaluate, NullSenderUsesTheHeloIdentity) {
  // RFC 7208 §2.4: for "<>" SPF checks postmaster@HELO; that is the MAIL FROM identity.
  RecordingResolver r(kZone);
  SpfVerdict v;
  v.mail_from.result = SpfResult::pass;
  v.mail_from.identity = "postmaster@mx.example.test";
  const auto o = testing::evaluate(r, "example.test", v, {});
  EXPECT_EQ(o.result, DmarcResult::pass);
  EXPECT_TRUE(o.spf_aligned);
}

TEST(DmarcEvaluate, HeloPassDoesNotCount) {
  RecordingResolver r(kZone);
  SpfVerdict v = spf(SpfResult::none, "other.test");
  v.helo.result = SpfResult::pass;
  v.helo.identity = "postmaster@example.test";
  v.helo.domain = "example.test";
  EXPECT_EQ(testing::evaluate(r, "example.test", v, {}).result, DmarcResult::fail);
}

TEST(DmarcEvaluate, LookupOutcomes) {
  DmarcRecordLookup l;
  l.status = DmarcRecordLookup::Status::none;
  EXPECT_EQ(decide_dmarc("example.com", l, {}, {}).result, DmarcResult::none);
  l.status = DmarcRecordLookup::Status::temperror;
  auto o = decide_dmarc("example.com", l, spf(P, "example.com"), {});
  EXPECT_EQ(o.result, DmarcResult::temperror);
  EXPECT_EQ(o.disposition, DmarcPolicy::none);
  l.status = DmarcRecordLookup::Status::found;  // found without a record: a caller's mistake
  EXPECT_EQ(decide_dmarc("example.com", l, {}, {}).result, DmarcResult::permerror);
}

TEST(DmarcEvaluate, TempErrorOfAnAlignedIdentifier) {
  // An aligned identifier that could not be checked makes the result temperror (the sender
  // retries); an unaligned one does not matter.
  RecordingResolver r(kZone);
  auto out = testing::evaluate(r, "example.test", spf(SpfResult::temperror, "mail.example.test"), {});
  EXPECT_EQ(out.result, DmarcResult::temperror);
  EXPECT_EQ(out.policy, DmarcPolicy::reject);
  out = testing::evaluate(r, "example.test", spf(F, "example.test"), dkim(DkimResult::temperror, "example.test"));
  EXPECT_EQ(out.result, DmarcResult::temperror);
  out = testing::evaluate(r, "example.test", spf(SpfResult::temperror, "other.test"),
                          dkim(DkimResult::temperror, "x.test"));
  EXPECT_EQ(out.result, DmarcResult::fail);
  out = testing::evaluate(r, "example.test", spf(SpfResult::temperror, "example.test"),
                          dkim(DkimResult::pass, "example.test"));
  EXPECT_EQ(out.result, DmarcResult::pass);
}

TEST(DmarcEvaluate, TempErrorOfAWalk) {
  // §5.3.6: the identifier's own walk fails: its alignment is not known.
  RecordingResolver walk_fails(kZone, {"_dmarc.bounce.example.test"});
  auto out = testing::evaluate(walk_fails, "example.test", spf(P, "bounce.example.test"), {});
  EXPECT_EQ(out.result, DmarcResult::temperror) << out.reason;
  // The Author Domain's walk fails above its record: its Organizational Domain is not known,
  // but an identical identifier still aligns and an unrelated one still does not.
  RecordingResolver top_fails(kZone, {"_dmarc.test"});
  EXPECT_EQ(testing::evaluate(top_fails, "example.test", spf(P, "example.test"), {}).result, DmarcResult::pass);
  EXPECT_EQ(testing::evaluate(top_fails, "example.test", spf(P, "bounce.example.test"), {}).result,
            DmarcResult::temperror);
  EXPECT_EQ(testing::evaluate(top_fails, "strict.example.test", spf(P, "x.strict.example.test"), {}).result,
            DmarcResult::fail);  // strict: no walk needed
}

TEST(DmarcEvaluate, Alignment) {
  OrgDomains orgs{{"example.test", "example.test"}, {"mail.example.test", "example.test"},
                  {"x.example.test", std::nullopt}};
  EXPECT_EQ(identifier_alignment("example.test", "EXAMPLE.test.", AlignmentMode::strict, orgs), Alignment::aligned);
  EXPECT_EQ(identifier_alignment("example.test", "mail.example.test", AlignmentMode::strict, orgs),
            Alignment::not_aligned);
  EXPECT_EQ(identifier_alignment("example.test", "mail.example.test", AlignmentMode::relaxed, orgs),
            Alignment::aligned);
  EXPECT_EQ(identifier_alignment("example.test", "x.example.test", AlignmentMode::relaxed, orgs), Alignment::unknown);
  EXPECT_EQ(identifier_alignment("example.test", "other.test", AlignmentMode::relaxed, orgs),
            Alignment::not_aligned);
  EXPECT_EQ(identifier_alignment("example.test", "", AlignmentMode::relaxed, orgs), Alignment::not_aligned);
  EXPECT_EQ(identifier_alignment("", "", AlignmentMode::strict, orgs), Alignment::not_aligned);
  EXPECT_EQ(identifier_alignment("a..test", "a..test", AlignmentMode::strict, orgs), Alignment::not_aligned);
  EXPECT_EQ(org_domain_needed("example.test", "y.example.test", AlignmentMode::relaxed, orgs), "y.example.test");
  EXPECT_EQ(org_domain_needed("example.test", "mail.example.test", AlignmentMode::relaxed, orgs), "");
  EXPECT_EQ(org_domain_needed("example.test", "y.other.test", AlignmentMode::relaxed, orgs), "");
  EXPECT_EQ(org_domain_needed("example.test", "y.example.test", AlignmentMode::strict, orgs), "");
}

TEST(DmarcEvaluate, Milder) {
  EXPECT_EQ(milder(DmarcPolicy::reject), DmarcPolicy::quarantine);
  EXPECT_EQ(milder(DmarcPolicy::quarantine), DmarcPolicy::none);
  EXPECT_EQ(milder(DmarcPolicy::none), DmarcPolicy::none);
}

}  // namespace
}  // namespace hikyaku::auth
