// The SPF and DMARC checks of the doctor driven with DNS answers from zone text (no sockets):
// one scenario per finding (RFC 7208 records and lookup limits; RFC 9989 DMARC records, the
// tree walk and its report destinations). docs/doctor-checks.md maps each check id to its test.
#include <gtest/gtest.h>

#include <string>

#include "doctor/checks.hpp"
#include "doctor_test_support.hpp"

namespace hikyaku::doctor::test {
namespace {

// ---- SPF

TEST(DoctorSpf, Missing) {
  const auto r = run(d(kOkMail + "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"), options_for("d.test"));
  const auto& f = only(r, "spf.missing");
  EXPECT_EQ(f.severity, Severity::warn);
  EXPECT_EQ(f.fix, "d.test. 3600 IN TXT \"v=spf1 mx ~all\"");
}

TEST(DoctorSpf, MoreThanOneGivesAMergedRecord) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 ip4:192.0.2.1 -all\"\n@ IN TXT \"v=spf1 include:clean.test ~all\"\n"
                                 "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                     options_for("d.test"));
  const auto& f = only(r, "spf.multiple");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_NE(f.fix.find("\"v=spf1 ip4:192.0.2.1 include:clean.test -all\""), std::string::npos) << f.fix;
}

TEST(DoctorSpf, SyntaxErrorWithItsPosition) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 mx ip4:300.1.1.1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                     options_for("d.test"));
  const auto& f = only(r, "spf.syntax");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_NE(f.problem.find("column 15"), std::string::npos) << f.problem;
}

std::string include_chain(int n) {
  // "@" includes i1 ... in, each a leaf with one ip4.
  std::string body = "@ IN TXT \"v=spf1";
  for (int i = 1; i <= n; ++i) body += " include:i" + std::to_string(i) + ".d.test";
  body += " -all\"\n";
  for (int i = 1; i <= n; ++i) body += "i" + std::to_string(i) + " IN TXT \"v=spf1 ip4:192.0.2." + std::to_string(i) + " -all\"\n";
  return body;
}

TEST(DoctorSpf, LookupLimitAtItsBoundary) {
  for (int n : {9, 10, 11}) {
    const auto r = run(d(kOkMail + include_chain(n) + "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"), options_for("d.test"));
    EXPECT_EQ(with_id(r, "spf.lookups").size(), n > 10 ? 1u : 0u) << n << "\n" << dump(r);
  }
}

TEST(DoctorSpf, LookupsCountThroughNestedIncludesAndRedirects) {
  const auto r = run(d(kOkMail +
                       "@ IN TXT \"v=spf1 include:a.d.test redirect=r.d.test\"\n"
                       "a IN TXT \"v=spf1 a mx include:b.d.test ?all\"\na IN A 192.0.2.1\na IN MX 10 mx1.clean.test.\n"
                       "b IN TXT \"v=spf1 a:a.d.test a:a.d.test a:a.d.test a:a.d.test -all\"\n"
                       "r IN TXT \"v=spf1 mx:a.d.test mx:a.d.test mx:a.d.test -all\"\n"
                       "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                     options_for("d.test"));
  // include a(1) + a,mx,include b (3) + 4 a (4) + redirect (1) + 3 mx (3) = 12
  const auto& f = only(r, "spf.lookups");
  EXPECT_NE(f.problem.find("12 DNS-querying"), std::string::npos) << f.problem;
}

TEST(DoctorSpf, VoidLookupsPerFamily) {
  // v4host has only an A record: for an IPv6 sender each "a:v4host" is a void lookup.
  const std::string base = kOkMail + "v4host IN A 192.0.2.5\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n";
  const auto two = run(d(base + "@ IN TXT \"v=spf1 a:v4host.d.test a:v4host.d.test -all\"\n"), options_for("d.test"));
  EXPECT_TRUE(with_id(two, "spf.void_lookups").empty());
  const auto three = run(d(base + "@ IN TXT \"v=spf1 a:v4host.d.test a:v4host.d.test a:v4host.d.test -all\"\n"),
                         options_for("d.test"));
  const auto& f = only(three, "spf.void_lookups");
  EXPECT_NE(f.problem.find("IPv4 sender: 0, IPv6 sender: 3"), std::string::npos) << f.problem;
  // And the IPv6 side authorizes nobody.
  EXPECT_EQ(only(two, "spf.family").severity, Severity::info);
}

TEST(DoctorSpf, AllQualifiers) {
  const std::string tail = "_dmarc IN TXT \"v=DMARC1; p=reject\"\n";
  const auto plus = run(d(kOkMail + "@ IN TXT \"v=spf1 mx +all\"\n" + tail), options_for("d.test"));
  EXPECT_EQ(only(plus, "spf.all").severity, Severity::error);
  EXPECT_NE(only(plus, "spf.all").fix.find("\"v=spf1 mx ~all\""), std::string::npos);
  const auto neutral = run(d(kOkMail + "@ IN TXT \"v=spf1 mx ?all\"\n" + tail), options_for("d.test"));
  EXPECT_EQ(only(neutral, "spf.all").severity, Severity::warn);
  const auto none = run(d(kOkMail + "@ IN TXT \"v=spf1 mx\"\n" + tail), options_for("d.test"));
  EXPECT_EQ(only(none, "spf.all").severity, Severity::warn);
  const auto redirect = run(d(kOkMail + "@ IN TXT \"v=spf1 redirect=clean.test\"\n" + tail), options_for("d.test"));
  EXPECT_TRUE(with_id(redirect, "spf.all").empty()) << dump(redirect);
}

TEST(DoctorSpf, PtrMechanism) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 ptr -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n"), options_for("d.test"));
  EXPECT_EQ(only(r, "spf.ptr").severity, Severity::warn);
}

TEST(DoctorSpf, IncludeLoop) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 include:a.d.test -all\"\na IN TXT \"v=spf1 include:d.test -all\"\n"
                                 "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                     options_for("d.test"));
  const auto& f = only(r, "spf.loop");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_NE(f.problem.find("d.test -> a.d.test -> d.test"), std::string::npos) << f.problem;
}

TEST(DoctorSpf, IncludeWithoutSpf) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 include:nospf.d.test include:gone.d.test -all\"\nnospf IN TXT \"hello\"\n"
                                 "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                     options_for("d.test"));
  const auto& f = only(r, "spf.include_missing");
  EXPECT_NE(f.problem.find("nospf.d.test"), std::string::npos);
  EXPECT_NE(f.problem.find("gone.d.test"), std::string::npos);
}

TEST(DoctorSpf, IncludedRecordInvalid) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 include:bad.d.test -all\"\nbad IN TXT \"v=spf1 foo\"\n"
                                 "_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                     options_for("d.test"));
  EXPECT_EQ(only(r, "spf.include_invalid").severity, Severity::error);
}

TEST(DoctorSpf, RecordOver450Octets) {
  std::string record = "v=spf1";
  while (record.size() <= 450) record += " ip4:192.0.2.1";
  record += " -all";
  std::string split;
  for (size_t i = 0; i < record.size(); i += 200) split += "\"" + record.substr(i, 200) + "\" ";
  const auto r = run(d(kOkMail + "@ IN TXT ( " + split + ")\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n"), options_for("d.test"));
  EXPECT_EQ(only(r, "spf.length").severity, Severity::warn);
}

TEST(DoctorSpf, TimeoutIsUnknown) {
  Scenario s = clean();
  s.timeouts.insert({"clean.test", dns::RecordType::txt});
  const auto r = run(s, options_for("clean.test"));
  EXPECT_EQ(only(r, "spf.unknown").severity, Severity::unknown);
  EXPECT_TRUE(with_id(r, "spf.missing").empty());
  EXPECT_EQ(exit_code(r), 3);
}

// ---- DMARC

TEST(DoctorDmarc, MissingWithAndWithoutTheOrganizationalDomain) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n"), options_for("d.test"));
  EXPECT_EQ(only(r, "dmarc.missing").severity, Severity::warn);
  const auto sub = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
                                   "sub IN MX 10 mx1.clean.test.\nsub IN TXT \"v=spf1 -all\"\n"),
                       options_for("sub.d.test"));
  const auto& f = only(sub, "dmarc.missing");
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_NE(f.problem.find("quarantine"), std::string::npos);
}

TEST(DoctorDmarc, MoreThanOne) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n_dmarc IN TXT \"v=DMARC1; p=none\"\n"),
                     options_for("d.test"));
  EXPECT_EQ(only(r, "dmarc.multiple").severity, Severity::error);
}

TEST(DoctorDmarc, Invalid) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=block\"\n"), options_for("d.test"));
  EXPECT_EQ(only(r, "dmarc.invalid").severity, Severity::error);
}

TEST(DoctorDmarc, PolicyNoneIsAWarning) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=none\"\n"), options_for("d.test"));
  EXPECT_EQ(only(r, "dmarc.policy_none").severity, Severity::warn);
  EXPECT_FALSE(has_error(r));
}

TEST(DoctorDmarc, SubdomainAndNonexistentPolicies) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; sp=none; np=reject\"\n"),
                     options_for("d.test"));
  const auto found = with_id(r, "dmarc.subdomain_policy");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_NE(found[0]->problem.find("sp=none"), std::string::npos);
  EXPECT_NE(found[1]->problem.find("np=reject"), std::string::npos);
  // RFC 9989 §4.10.1: an invalid np= without a valid rua= leaves no DMARC processing at all.
  const auto bad = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; np=block\"\n"),
                       options_for("d.test"));
  EXPECT_EQ(only(bad, "dmarc.invalid").severity, Severity::error);
  // With one, the record counts as p=none (a warning), and np= is still reported.
  const auto defaulted = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; np=block; "
                                         "rua=mailto:r@d.test\"\n"),
                             options_for("d.test"));
  EXPECT_EQ(only(defaulted, "dmarc.subdomain_policy").severity, Severity::warn);
  EXPECT_FALSE(with_id(defaulted, "dmarc.invalid").empty());
}

TEST(DoctorDmarc, IgnoredTagsAreReported) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; pct=50; adkim=x\"\n"),
                     options_for("d.test"));
  const auto notes = with_id(r, "dmarc.syntax");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0]->problem.find("pct=50 ignored"), std::string::npos);
  EXPECT_NE(notes[1]->problem.find("adkim=x"), std::string::npos);
  EXPECT_FALSE(has_error(r));
}

TEST(DoctorDmarc, ReportsToAnotherDomainNeedItsAuthorization) {
  const std::string body = kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:r@reports.test,mailto:me@d.test\"\n";
  const auto r = run(domain(body, zone("clean.test", kCleanBody) + zone("reports.test", "")), options_for("d.test"));
  const auto& f = only(r, "dmarc.report_auth");
  EXPECT_EQ(f.subject, "d.test._report._dmarc.reports.test");
  EXPECT_EQ(f.fix, "the owner of reports.test publishes: d.test._report._dmarc.reports.test. 3600 IN TXT \"v=DMARC1\"");
  const auto ok = run(domain(body, zone("clean.test", kCleanBody) +
                                       zone("reports.test", "d.test._report._dmarc IN TXT \"v=DMARC1\"\n")),
                      options_for("d.test"));
  EXPECT_TRUE(with_id(ok, "dmarc.report_auth").empty()) << dump(ok);
}

TEST(DoctorDmarc, RecordAtTheApex) {
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n@ IN TXT \"v=DMARC1; p=reject\"\n"), options_for("d.test"));
  EXPECT_EQ(only(r, "dmarc.apex").severity, Severity::warn);
  EXPECT_EQ(only(r, "dmarc.missing").severity, Severity::warn);
}

// RFC 9989 §4.10: the DNS Tree Walk finds the policy and the organizational domain; no PSL.
TEST(DoctorDmarc, TheTreeWalkNamesThePolicyDomain) {
  const auto own = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n"),
                       options_for("d.test"));
  const auto& mine = only(own, "dmarc.policy_domain");
  EXPECT_EQ(mine.severity, Severity::info);
  EXPECT_NE(mine.problem.find("policy domain d.test (the domain itself), organizational domain d.test"),
            std::string::npos) << mine.problem;
  EXPECT_NE(only(own, "dmarc.ok").problem.find("policy domain d.test, organizational domain d.test"),
            std::string::npos);
  // A subdomain three labels down without records of its own: the walk asks each name up to the
  // top and the record of d.test applies (its np= for a name that does not exist).
  const auto deep = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; sp=none; np=quarantine\"\n"
                                     "x.y IN TXT \"v=spf1 -all\"\n"),
                        options_for("x.y.d.test"));
  const auto& walk = only(deep, "dmarc.policy_domain");
  EXPECT_NE(walk.problem.find("policy domain d.test (its organizational domain), organizational domain d.test"),
            std::string::npos) << walk.problem;
  EXPECT_NE(walk.problem.find("asked: x.y.d.test, y.d.test, d.test, test"), std::string::npos) << walk.problem;
  const auto& missing = only(deep, "dmarc.missing");
  EXPECT_EQ(missing.severity, Severity::info);
  EXPECT_NE(missing.problem.find("applies with policy none (its sp= tag;"), std::string::npos) << missing.problem;
  const auto gone = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; sp=none; np=quarantine\"\n"),
                        options_for("nothere.d.test"));
  EXPECT_NE(only(gone, "dmarc.missing").problem.find("applies with policy quarantine (its np= tag;"), std::string::npos)
      << dump(gone);
}

TEST(DoctorDmarc, APublicSuffixDomainRecordAndPsdFlags) {
  // psd=y at d.test: shop.d.test is an organizational domain; without a record of its own the
  // public suffix domain's record applies (RFC 9989 §4.10.1).
  const auto r = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; psd=y\"\n"
                                 "shop IN TXT \"v=spf1 -all\"\n"),
                     options_for("shop.d.test"));
  const auto& f = only(r, "dmarc.policy_domain");
  EXPECT_NE(f.problem.find("policy domain d.test (its public suffix domain), organizational domain shop.d.test"),
            std::string::npos) << f.problem;
  // psd=y at the domain itself is a warning, psd=n a note; t=y a warning.
  const auto psd_y = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; psd=y\"\n"),
                         options_for("d.test"));
  EXPECT_EQ(only(psd_y, "dmarc.psd").severity, Severity::warn);
  const auto psd_n = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; psd=n; t=y\"\n"),
                         options_for("d.test"));
  EXPECT_EQ(only(psd_n, "dmarc.psd").severity, Severity::info);
  const auto& testing = only(psd_n, "dmarc.testing");
  EXPECT_EQ(testing.severity, Severity::warn);
  EXPECT_NE(testing.problem.find("one level below p=reject"), std::string::npos);
  EXPECT_FALSE(has_error(psd_n));
}

TEST(DoctorDmarc, ReportDestinationsInTheSameOrganizationalDomainByTheWalk) {
  // reports.d.test has no record: its walk reaches d.test, the same organizational domain.
  const auto same = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:r@reports.d.test\"\n"),
                        options_for("d.test"));
  EXPECT_TRUE(with_id(same, "dmarc.report_auth").empty()) << dump(same);
  EXPECT_EQ(only(same, "dmarc.ok").severity, Severity::ok);
  // With psd=n at reports.d.test it is an organizational domain of its own: external.
  const auto own = run(d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:r@reports.d.test\"\n"
                                   "_dmarc.reports IN TXT \"v=DMARC1; p=none; psd=n\"\n"),
                       options_for("d.test"));
  EXPECT_EQ(only(own, "dmarc.report_auth").subject, "d.test._report._dmarc.reports.d.test");
}

TEST(DoctorDmarc, AWalkThatCannotFinishIsUnknown) {
  Scenario s = d(kOkMail + "@ IN TXT \"v=spf1 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\nsub IN TXT \"v=spf1 -all\"\n");
  s.timeouts.insert({"_dmarc.d.test", dns::RecordType::txt});
  const auto r = run(s, options_for("sub.d.test"));
  EXPECT_EQ(only(r, "dmarc.unknown").severity, Severity::unknown);
  EXPECT_TRUE(with_id(r, "dmarc.missing").empty());
}

TEST(DoctorDmarc, TimeoutIsUnknown) {
  Scenario s = clean();
  s.timeouts.insert({"_dmarc.clean.test", dns::RecordType::txt});
  const auto r = run(s, options_for("clean.test"));
  EXPECT_EQ(only(r, "dmarc.unknown").severity, Severity::unknown);
  EXPECT_TRUE(with_id(r, "dmarc.missing").empty());
  EXPECT_EQ(exit_code(r), 3);
}

}  // namespace
}  // namespace hikyaku::doctor::test
