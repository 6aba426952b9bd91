// Registrable domains from libpsl (the RFC 7489 §3.2 organizational domain doctor still uses),
// with the cases libopendmarc 1.4.2 gets wrong (research/deps.md §5) as regression tests.
#include <gtest/gtest.h>

#include "doctor/public_suffix.hpp"

namespace hikyaku::doctor {
namespace {

TEST(OrgDomain, FromThePublicSuffixList) {
  EXPECT_EQ(psl_organizational_domain("a.b.c.example.com"), "example.com");
  EXPECT_EQ(psl_organizational_domain("Mail.Example.CO.UK."), "example.co.uk");
  EXPECT_EQ(psl_organizational_domain("victim.github.io"), "victim.github.io");
  EXPECT_EQ(psl_organizational_domain("x.y.victim.github.io"), "victim.github.io");
  // *.kawasaki.jp with !city.kawasaki.jp: bar.kawasaki.jp is a public suffix
  // (libopendmarc 1.4.2 says bar.kawasaki.jp).
  EXPECT_EQ(psl_organizational_domain("foo.bar.kawasaki.jp"), "foo.bar.kawasaki.jp");
  EXPECT_EQ(psl_organizational_domain("www.city.kawasaki.jp"), "city.kawasaki.jp");
  // A TLD missing from the list: the implicit "*" rule (libopendmarc 1.4.2 gives "").
  EXPECT_EQ(psl_organizational_domain("mail.example.test"), "example.test");
  EXPECT_EQ(psl_organizational_domain("example.test"), "example.test");
}

TEST(OrgDomain, PublicSuffixAndMalformedNames) {
  EXPECT_EQ(psl_organizational_domain("com"), "com");
  EXPECT_EQ(psl_organizational_domain("co.uk"), "co.uk");
  EXPECT_EQ(psl_organizational_domain("github.io"), "github.io");
  EXPECT_EQ(psl_organizational_domain(""), "");
  EXPECT_EQ(psl_organizational_domain("a..example.com"), "");
  EXPECT_EQ(psl_organizational_domain(".example.com"), "");
}

TEST(OrgDomain, ListFromAFile) {
  EXPECT_FALSE(PublicSuffixList::load_file("/nonexistent/psl.dat").has_value());
}

}  // namespace
}  // namespace hikyaku::doctor
