// DMARC Policy Discovery (RFC 9989 §4.10.1) against zone-file answers: the Author Domain's
// record, the Organizational Domain's, a PSD's (psd=y at the TLD), p / sp / np with the Author
// Domain's existence (§3.2.13: NXDOMAIN) asked only when it matters, records asking for no DMARC
// processing, several records, temporary failures.
#include <gtest/gtest.h>

#include "dmarc_test_support.hpp"

namespace hikyaku::auth {
namespace {

using Status = DmarcRecordLookup::Status;
using testing::RecordingResolver;
using testing::zone;

const std::string kZone = zone(
    "_dmarc.example IN TXT \"v=DMARC1; p=reject; sp=quarantine; np=none\"\n"
    "www.example IN A 192.0.2.1\n"                      // an existing subdomain
    "mx.example IN MX 10 mail.example.test.\n"           // exists (NODATA for A)
    "_dmarc.own.example IN TXT \"v=DMARC1; p=none; sp=reject\"\n"
    "_dmarc.own.example IN TXT \"some other text\"\n"
    "_dmarc.two.example IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.two.example IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.nop.example IN TXT \"v=DMARC1; sp=quarantine\"\n"
    "_dmarc.split.example IN TXT \"v=DMARC1; \" \"p=quarantine\"\n"
    "_dmarc.same IN TXT \"v=DMARC1; p=reject; np=reject\"\n"
    "_dmarc.onlyp IN TXT \"v=DMARC1; p=quarantine\"\n"
    "_dmarc.nonp IN TXT \"v=DMARC1; p=reject; sp=none\"\n"
    "_dmarc.testing IN TXT \"v=DMARC1; p=reject; t=y; pct=20\"\n");

TEST(DmarcLookup, AuthorDomainRecordAppliesWithP) {
  RecordingResolver r(kZone);
  const auto own = testing::discover(r, "own.example.test");  // non-DMARC TXT beside it ignored
  ASSERT_EQ(own.status, Status::found) << own.detail;
  EXPECT_EQ(own.source, DmarcPolicySource::author_domain);
  EXPECT_EQ(own.record_domain, "own.example.test");
  EXPECT_EQ(own.policy, DmarcPolicy::none);  // p, not sp: the record is the Author Domain's
  EXPECT_EQ(own.policy_tag, "p");
  const auto split = testing::discover(r, "split.example.test");  // character-strings joined (§4.5)
  ASSERT_EQ(split.status, Status::found);
  EXPECT_EQ(split.policy, DmarcPolicy::quarantine);
}

TEST(DmarcLookup, SubdomainPolicies) {
  // sp for an existing subdomain, np for a non-existent one (§4.10.1, §4.7).
  RecordingResolver r(kZone);
  const auto existing = testing::discover(r, "www.example.test");
  ASSERT_EQ(existing.status, Status::found) << existing.detail;
  EXPECT_EQ(existing.source, DmarcPolicySource::organizational_domain);
  EXPECT_EQ(existing.record_domain, "example.test");
  EXPECT_EQ(existing.policy, DmarcPolicy::quarantine);
  EXPECT_EQ(existing.policy_tag, "sp");
  EXPECT_EQ(existing.author_exists, true);

  const auto nodata = testing::discover(r, "mx.example.test");  // NODATA for A: it exists
  EXPECT_EQ(nodata.policy, DmarcPolicy::quarantine);

  r.asked.clear();
  const auto ghost = testing::discover(r, "ghost.example.test");  // NXDOMAIN
  ASSERT_EQ(ghost.status, Status::found);
  EXPECT_EQ(ghost.policy, DmarcPolicy::none);
  EXPECT_EQ(ghost.policy_tag, "np");
  EXPECT_EQ(ghost.author_exists, false);
  EXPECT_EQ(r.asked, (std::vector<std::string>{"_dmarc.ghost.example.test TXT", "_dmarc.example.test TXT",
                                               "_dmarc.test TXT", "ghost.example.test A"}));

  // A deeper non-existent name: np of the Organizational Domain's record as well.
  EXPECT_EQ(testing::discover(r, "a.b.ghost.example.test").policy_tag, "np");
}

TEST(DmarcLookup, ExistenceAskedOnlyWhenSpAndNpDiffer) {
  RecordingResolver r(kZone);
  const auto same = testing::discover(r, "ghost.same.test");  // p=reject; np=reject: sp (= p) agrees
  ASSERT_EQ(same.status, Status::found);
  EXPECT_EQ(same.policy, DmarcPolicy::reject);
  EXPECT_FALSE(same.author_exists.has_value());
  const auto onlyp = testing::discover(r, "x.onlyp.test");  // no sp, no np: p for every subdomain
  EXPECT_EQ(onlyp.policy, DmarcPolicy::quarantine);
  EXPECT_EQ(onlyp.policy_tag, "p");
  for (const auto& a : r.asked) EXPECT_EQ(a.substr(a.size() - 4), " TXT") << a;
  // np absent: a non-existent subdomain gets sp.
  const auto nonp = testing::discover(r, "ghost.nonp.test");
  EXPECT_EQ(nonp.policy, DmarcPolicy::none);
  EXPECT_EQ(nonp.policy_tag, "sp");
}

TEST(DmarcLookup, PublicSuffixDomainRecord) {
  // psd=y at the TLD; ghost.test and example.test have no record of their own: the PSD's record
  // applies to them and their subdomains (np for names that do not exist). Mirrors authheaders'
  // psdsub case. example.test exists as an empty non-terminal (exists.example.test is below it:
  // RFC 8020), so sp applies to it.
  RecordingResolver r(zone("_dmarc IN TXT \"v=DMARC1; p=reject; sp=none; np=reject; psd=y\"\n"
                           "exists.example IN A 192.0.2.1\n"
                           "_dmarc.owner IN TXT \"v=DMARC1; p=none\"\n"));
  const auto missing = testing::discover(r, "ghost.test");
  ASSERT_EQ(missing.status, Status::found) << missing.detail;
  EXPECT_EQ(missing.source, DmarcPolicySource::public_suffix_domain);
  EXPECT_EQ(missing.record_domain, "test");
  EXPECT_EQ(organizational_domain(missing.walk), "ghost.test");
  EXPECT_EQ(missing.policy, DmarcPolicy::reject);
  EXPECT_EQ(missing.policy_tag, "np");
  const auto ent = testing::discover(r, "example.test");
  EXPECT_EQ(ent.source, DmarcPolicySource::public_suffix_domain);
  EXPECT_EQ(organizational_domain(ent.walk), "example.test");
  EXPECT_EQ(ent.policy, DmarcPolicy::none);
  EXPECT_EQ(ent.policy_tag, "sp");
  const auto existing = testing::discover(r, "exists.example.test");
  EXPECT_EQ(existing.policy, DmarcPolicy::none);
  EXPECT_EQ(existing.policy_tag, "sp");
  // "PSD policy is not used for Organizational Domains that have published a DMARC Policy
  // Record": owner.test has one, so its subdomains get owner.test's.
  const auto owned = testing::discover(r, "www.owner.test");
  EXPECT_EQ(owned.source, DmarcPolicySource::organizational_domain);
  EXPECT_EQ(owned.record_domain, "owner.test");
  EXPECT_EQ(owned.policy, DmarcPolicy::none);
}

TEST(DmarcLookup, PsdNMakesTheOrganizationalDomain) {
  // psd=n at dept.example: its record applies below it, not example's.
  RecordingResolver r(zone("_dmarc.dept.example IN TXT \"v=DMARC1; p=quarantine; psd=n\"\n"
                           "_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"));
  const auto l = testing::discover(r, "a.dept.example.test");
  ASSERT_EQ(l.status, Status::found);
  EXPECT_EQ(l.record_domain, "dept.example.test");
  EXPECT_EQ(l.policy, DmarcPolicy::quarantine);
  // Without psd=n the record with the fewest labels is the Organizational Domain's (§4.10.2).
  RecordingResolver u(zone("_dmarc.dept.example IN TXT \"v=DMARC1; p=quarantine\"\n"
                           "_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"));
  EXPECT_EQ(testing::discover(u, "a.dept.example.test").record_domain, "example.test");
}

TEST(DmarcLookup, NoDmarcProcessing) {
  RecordingResolver r(kZone);
  // No p= and no rua=: no DMARC processing, and the walk does not go on to another policy.
  const auto nop = testing::discover(r, "nop.example.test");
  EXPECT_EQ(nop.status, Status::none);
  EXPECT_EQ(nop.record_domain, "nop.example.test");
  EXPECT_NE(nop.detail.find("no valid p="), std::string::npos);
  // Nothing anywhere.
  const auto nothing = testing::discover(r, "nothing.invalid");
  EXPECT_EQ(nothing.status, Status::none);
  EXPECT_NE(nothing.detail.find("no DMARC record"), std::string::npos);
}

TEST(DmarcLookup, SeveralRecordsAreDiscardedAndTheWalkGoesOn) {
  // RFC 9989 §4.10 step 2 discards them (RFC 7489 stopped there): example.test's record applies.
  RecordingResolver r(kZone);
  const auto two = testing::discover(r, "two.example.test");
  ASSERT_EQ(two.status, Status::found);
  EXPECT_EQ(two.record_domain, "example.test");
  EXPECT_EQ(two.source, DmarcPolicySource::organizational_domain);
}

TEST(DmarcLookup, TestingAndPct) {
  RecordingResolver r(kZone);
  const auto l = testing::discover(r, "testing.test");
  ASSERT_EQ(l.status, Status::found);
  ASSERT_TRUE(l.record);
  EXPECT_TRUE(l.record->testing);
  EXPECT_EQ(l.record->pct, "20");
  EXPECT_EQ(l.policy, DmarcPolicy::reject);
}

TEST(DmarcLookup, TemporaryFailures) {
  // At the Author Domain itself: temperror.
  RecordingResolver first(kZone, {"_dmarc.www.example.test"});
  EXPECT_EQ(testing::discover(first, "www.example.test").status, Status::temperror);
  // Above it, with no record of its own: temperror (the record that applies is not known).
  RecordingResolver above(kZone, {"_dmarc.example.test"});
  const auto l = testing::discover(above, "www.example.test");
  EXPECT_EQ(l.status, Status::temperror);
  EXPECT_NE(l.detail.find("_dmarc.example.test TXT: SERVFAIL"), std::string::npos) << l.detail;
  // Above a record of the Author Domain: the policy is known, only the Organizational Domain not.
  RecordingResolver own(kZone, {"_dmarc.example.test"});
  const auto o = testing::discover(own, "own.example.test");
  EXPECT_EQ(o.status, Status::found);
  EXPECT_FALSE(organizational_domain(o.walk).has_value());
  // The existence query: temperror when sp and np differ.
  RecordingResolver exists(kZone, {"ghost.example.test"});
  const auto g = testing::discover(exists, "ghost.example.test");
  EXPECT_EQ(g.status, Status::temperror);
  EXPECT_NE(g.detail.find("ghost.example.test A: SERVFAIL"), std::string::npos) << g.detail;
}

TEST(DmarcLookup, DeadlinePassed) {
  RecordingResolver r(kZone);
  const auto past = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  const auto l = testing::run_coroutine(fetch_dmarc_record(r, "example.test", past));
  EXPECT_EQ(l.status, Status::temperror);
  EXPECT_TRUE(r.asked.empty());
}

}  // namespace
}  // namespace hikyaku::auth
