// The DNS Tree Walk of RFC 9989 §4.10 over zone-file answers: the names asked (deep names
// shortened to seven labels, at most eight queries), the psd= stop, several records discarded,
// temporary failures; and the Organizational Domain of §4.10.2 with the RFC's own examples
// (§4.10.2 and Appendix B.4) under the "test" TLD.
#include <gtest/gtest.h>

#include "dmarc_test_support.hpp"
#include "dns/caching_resolver.hpp"

namespace hikyaku::auth {
namespace {

using testing::RecordingResolver;
using testing::zone;

std::vector<std::string> txt_names(const std::vector<std::string>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) out.push_back("_dmarc." + t + " TXT");
  return out;
}

TEST(DmarcTreeWalk, TargetsOfTheRfcExample) {
  // §4.10: the eight queries for "a.b.c.d.e.f.g.h.i.j.mail.example.com".
  EXPECT_EQ(tree_walk_targets("a.b.c.d.e.f.g.h.i.j.mail.example.com"),
            (std::vector<std::string>{"a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com",
                                      "h.i.j.mail.example.com", "i.j.mail.example.com", "j.mail.example.com",
                                      "mail.example.com", "example.com", "com"}));
  EXPECT_EQ(tree_walk_targets("a.mail.example.com"),
            (std::vector<std::string>{"a.mail.example.com", "mail.example.com", "example.com", "com"}));
  EXPECT_EQ(tree_walk_targets("com"), std::vector<std::string>{"com"});
  EXPECT_TRUE(tree_walk_targets("").empty());
}

TEST(DmarcTreeWalk, ShorteningAtItsBoundary) {
  // Step 4: x < 8 drops one label; x >= 8 keeps the last seven. 7, 8 and 9 labels:
  const auto seven = tree_walk_targets("a.b.c.d.e.f.g");
  EXPECT_EQ(seven.size(), 7u);
  EXPECT_EQ(seven[1], "b.c.d.e.f.g");
  const auto eight = tree_walk_targets("a.b.c.d.e.f.g.h");
  EXPECT_EQ(eight.size(), 8u);
  EXPECT_EQ(eight[1], "b.c.d.e.f.g.h");
  const auto nine = tree_walk_targets("a.b.c.d.e.f.g.h.i");
  EXPECT_EQ(nine.size(), 8u);
  EXPECT_EQ(nine[1], "c.d.e.f.g.h.i");  // skips b.c.d.e.f.g.h.i
  for (size_t labels = 1; labels <= 40; ++labels) {
    std::string name = "x";
    for (size_t i = 1; i < labels; ++i) name = "x" + std::to_string(i) + "." + name;
    EXPECT_LE(tree_walk_targets(name).size(), kTreeWalkMaxQueries) << labels;
  }
}

TEST(DmarcTreeWalk, DeepNameMakesAtMostEightQueries) {
  RecordingResolver r(zone("_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"));
  const std::string deep = "a.b.c.d.e.f.g.h.i.j.k.example.test";  // 13 labels
  const TreeWalk w = testing::walk(r, deep);
  EXPECT_TRUE(w.complete);
  EXPECT_EQ(r.asked, txt_names({deep, "g.h.i.j.k.example.test", "h.i.j.k.example.test", "i.j.k.example.test",
                                "j.k.example.test", "k.example.test", "example.test", "test"}));
  EXPECT_EQ(r.asked.size(), kTreeWalkMaxQueries);
  EXPECT_LE(r.asked.size(), kTreeWalkMaxQueries);
  ASSERT_EQ(w.records.size(), 1u);
  EXPECT_EQ(organizational_domain(w), "example.test");
}

TEST(DmarcTreeWalk, OrganizationalDomainExamplesOfSection4_10_2) {
  // Records at mail.example and example, none at a.mail.example or the TLD: example.
  RecordingResolver plain(zone("_dmarc.mail.example IN TXT \"v=DMARC1; p=none\"\n"
                               "_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"));
  EXPECT_EQ(organizational_domain(testing::walk(plain, "a.mail.example.test")), "example.test");
  EXPECT_EQ(plain.asked.size(), 4u);  // to the TLD: no psd= stopped it

  // psd=n at mail.example: that is the Organizational Domain, and the walk stops there.
  RecordingResolver psd_n(zone("_dmarc.mail.example IN TXT \"v=DMARC1; p=none; psd=n\"\n"
                               "_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"));
  EXPECT_EQ(organizational_domain(testing::walk(psd_n, "a.mail.example.test")), "mail.example.test");
  EXPECT_EQ(psd_n.asked, txt_names({"a.mail.example.test", "mail.example.test"}));

  // Only the TLD has a record, with psd=y: the name one label below it.
  RecordingResolver psd_y(zone("_dmarc IN TXT \"v=DMARC1; p=reject; psd=y\"\n"));
  EXPECT_EQ(organizational_domain(testing::walk(psd_y, "a.mail.example.test")), "example.test");
  EXPECT_EQ(organizational_domain(testing::walk(psd_y, "example.test")), "example.test");

  // psd=y at the start of the walk does not count as a PSD above it: the start itself.
  EXPECT_EQ(organizational_domain(testing::walk(psd_y, "test")), "test");

  // No record anywhere: the start itself.
  RecordingResolver empty(zone(""));
  EXPECT_EQ(organizational_domain(testing::walk(empty, "a.b.example.test")), "a.b.example.test");
}

TEST(DmarcTreeWalk, AppendixB4_3PsdExample) {
  // giant.bank.example (record), bank.example (psd=y), mega.bank.example without a record.
  RecordingResolver r(zone("_dmarc.giant.bank IN TXT \"v=DMARC1; p=reject\"\n"
                           "_dmarc.bank IN TXT \"v=DMARC1; p=none; psd=y\"\n"));
  EXPECT_EQ(organizational_domain(testing::walk(r, "giant.bank.test")), "giant.bank.test");
  EXPECT_EQ(organizational_domain(testing::walk(r, "mail.giant.bank.test")), "giant.bank.test");
  EXPECT_EQ(organizational_domain(testing::walk(r, "mail.mega.bank.test")), "mega.bank.test");
  // The walk stopped at psd=y: the TLD was never asked.
  for (const auto& a : r.asked) EXPECT_NE(a, "_dmarc.test TXT");
}

TEST(DmarcTreeWalk, RecordsThatDoNotCount) {
  // Step 2: TXT that is not v=DMARC1 is discarded; several DMARC records are all discarded.
  RecordingResolver r(zone("_dmarc.a.example IN TXT \"some other text\"\n"
                           "_dmarc.b.example IN TXT \"v=DMARC1; p=none\"\n"
                           "_dmarc.b.example IN TXT \"v=DMARC1; p=reject\"\n"
                           "_dmarc.example IN TXT \"v=DMARC1; p=quarantine\"\n"));
  const TreeWalk a = testing::walk(r, "a.example.test");
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].domain, "example.test");
  const TreeWalk b = testing::walk(r, "b.example.test");
  ASSERT_EQ(b.records.size(), 1u);
  EXPECT_EQ(b.records[0].domain, "example.test");
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes[0].find("2 DMARC records at _dmarc.b.example.test"), std::string::npos);
}

TEST(DmarcTreeWalk, TemporaryFailureLeavesItIncomplete) {
  RecordingResolver r(zone("_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"), {"_dmarc.test"});
  const TreeWalk w = testing::walk(r, "mail.example.test");
  EXPECT_FALSE(w.complete);
  EXPECT_NE(w.failure.find("_dmarc.test TXT: SERVFAIL"), std::string::npos) << w.failure;
  ASSERT_EQ(w.records.size(), 1u);  // what was found before is kept
  EXPECT_FALSE(organizational_domain(w).has_value());
  // A walk stopped by psd= before the failing name completes.
  RecordingResolver stopped(zone("_dmarc.example IN TXT \"v=DMARC1; p=reject; psd=n\"\n"), {"_dmarc.test"});
  EXPECT_EQ(organizational_domain(testing::walk(stopped, "mail.example.test")), "example.test");
}

TEST(DmarcTreeWalk, TheCachingResolverKeepsTheWalksAnswers) {
  // The relay's resolver is a dns::CachingResolver: a second walk over the same names (the next
  // message from the domain, or an identifier's walk sharing the author's ancestors) is answered
  // from the cache, records and NXDOMAINs alike (RFC 2308 negative caching).
  auto backend = std::make_shared<RecordingResolver>(zone("_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"));
  dns::CachingResolver cache(backend);
  const TreeWalk first = testing::walk(cache, "a.b.example.test");
  EXPECT_EQ(backend->asked.size(), 4u);
  const TreeWalk second = testing::walk(cache, "a.b.example.test");
  EXPECT_EQ(backend->asked.size(), 4u);  // nothing new asked upstream
  EXPECT_EQ(cache.stats().hits, 4u);
  EXPECT_EQ(organizational_domain(second), organizational_domain(first));
  (void)testing::walk(cache, "c.b.example.test");  // shares b.example.test and above
  EXPECT_EQ(backend->asked.size(), 5u);
}

TEST(DmarcTreeWalk, DeadlinePassedAsksNothing) {
  RecordingResolver r(zone(""));
  const auto past = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  const TreeWalk w = testing::run_coroutine(tree_walk(r, "example.test", past));
  EXPECT_FALSE(w.complete);
  EXPECT_TRUE(r.asked.empty());
  EXPECT_NE(w.failure.find("lookup time ran out"), std::string::npos);
}

TEST(DmarcTreeWalk, NamesNormalised) {
  EXPECT_EQ(normalise_domain("Mail.Example.COM."), "mail.example.com");
  EXPECT_EQ(normalise_domain(""), "");
  EXPECT_EQ(normalise_domain("."), "");
  EXPECT_EQ(normalise_domain("a..b"), "");
  EXPECT_EQ(normalise_domain(".a"), "");
  EXPECT_EQ(normalise_domain(std::string(64, 'a') + ".com"), "");
  EXPECT_EQ(normalise_domain(std::string(63, 'a') + ".com"), std::string(63, 'a') + ".com");
  EXPECT_TRUE(is_at_or_below("a.example.com", "example.com"));
  EXPECT_TRUE(is_at_or_below("example.com", "example.com"));
  EXPECT_FALSE(is_at_or_below("aexample.com", "example.com"));
  EXPECT_FALSE(is_at_or_below("com", "example.com"));
}

}  // namespace
}  // namespace hikyaku::auth
