// Organizational domains from libpsl (RFC 7489 §3.2) and alignment (§3.1.1, §3.1.2), with the
// cases libopendmarc 1.4.2 gets wrong (research/deps.md §5) as regression tests.
#include <gtest/gtest.h>

#include "auth/org_domain.hpp"

namespace hikyaku::auth {
namespace {

TEST(OrgDomain, FromThePublicSuffixList) {
  EXPECT_EQ(organizational_domain("a.b.c.example.com"), "example.com");
  EXPECT_EQ(organizational_domain("Mail.Example.CO.UK."), "example.co.uk");
  EXPECT_EQ(organizational_domain("victim.github.io"), "victim.github.io");
  EXPECT_EQ(organizational_domain("x.y.victim.github.io"), "victim.github.io");
  // *.kawasaki.jp with !city.kawasaki.jp: bar.kawasaki.jp is a public suffix
  // (libopendmarc 1.4.2 says bar.kawasaki.jp).
  EXPECT_EQ(organizational_domain("foo.bar.kawasaki.jp"), "foo.bar.kawasaki.jp");
  EXPECT_EQ(organizational_domain("www.city.kawasaki.jp"), "city.kawasaki.jp");
  // A TLD missing from the list: the implicit "*" rule (libopendmarc 1.4.2 gives "").
  EXPECT_EQ(organizational_domain("mail.example.test"), "example.test");
  EXPECT_EQ(organizational_domain("example.test"), "example.test");
}

TEST(OrgDomain, PublicSuffixAndMalformedNames) {
  EXPECT_EQ(organizational_domain("com"), "com");
  EXPECT_EQ(organizational_domain("co.uk"), "co.uk");
  EXPECT_EQ(organizational_domain("github.io"), "github.io");
  EXPECT_EQ(organizational_domain(""), "");
  EXPECT_EQ(organizational_domain("a..example.com"), "");
  EXPECT_EQ(organizational_domain(".example.com"), "");
}

struct Row {
  const char* from;
  const char* other;
  AlignmentMode mode;
  bool aligned;
};

TEST(Alignment, RelaxedAndStrict) {
  const Row rows[] = {
      {"example.com", "example.com", AlignmentMode::strict, true},
      {"example.com", "EXAMPLE.com.", AlignmentMode::strict, true},
      {"example.com", "mail.example.com", AlignmentMode::strict, false},
      {"example.com", "mail.example.com", AlignmentMode::relaxed, true},
      {"a.example.com", "b.example.com", AlignmentMode::relaxed, true},
      {"example.com", "example.net", AlignmentMode::relaxed, false},
      {"example.com", "", AlignmentMode::relaxed, false},
      {"", "", AlignmentMode::strict, false},
      {"example.test", "mx.example.test", AlignmentMode::relaxed, true},
      // libopendmarc 1.4.2 regressions: a one-character leftmost label.
      {"paypal.com", "x.com", AlignmentMode::relaxed, false},
      {"victim.github.io", "x.github.io", AlignmentMode::relaxed, false},
      {"example.co.uk", "b.co.uk", AlignmentMode::relaxed, false},
      {"a.example.com", "example.com", AlignmentMode::relaxed, true},
      {"x.com", "paypal.com", AlignmentMode::relaxed, false},
      {"github.io", "x.github.io", AlignmentMode::relaxed, false},
      {"co.uk", "b.co.uk", AlignmentMode::relaxed, false},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(domains_aligned(r.from, r.other, r.mode), r.aligned)
        << r.from << " vs " << r.other << " " << to_string(r.mode);
  }
}

TEST(OrgDomain, ListFromAFile) {
  EXPECT_FALSE(PublicSuffixList::load_file("/nonexistent/psl.dat").has_value());
}

}  // namespace
}  // namespace hikyaku::auth
