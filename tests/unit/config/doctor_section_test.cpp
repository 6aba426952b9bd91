// The [doctor] table: what dns-records, postmaster and doctor -c know about our side. Defaults
// come from the rest of the file; every value is validated with FILE:LINE (preference at its
// 16-bit boundary, prefix lengths at theirs).
#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace hikyaku::config {
namespace {

using testing::errors_of;

TEST(DoctorSection, DefaultsComeFromTheRestOfTheConfiguration) {
  auto c = load_string(
      "[server]\nhostname = \"mx.example.net\"\n[relay]\nsource_ipv4 = [\"192.0.2.1\"]\nsource_ipv6 = [\"2001:db8::1\"]\n"
      "[srs]\ndomain = \"fwd.example.net\"\nsecrets = [\"s\"]\n",
      "t.toml");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->doctor.inbound_mx.size(), 1u);
  EXPECT_EQ(c->doctor.inbound_mx[0].preference, 10u);
  EXPECT_EQ(c->doctor.inbound_mx[0].host, "mx.example.net");
  EXPECT_EQ(c->doctor.spf_include, "fwd.example.net");
  EXPECT_EQ(c->doctor.egress_prefixes, (std::vector<std::string>{"192.0.2.1/32", "2001:db8::1/128"}));
  EXPECT_TRUE(c->doctor.dmarc_rua.empty());
  auto no_srs = load_string("[server]\nhostname = \"mx.example.net\"\n", "t.toml");
  ASSERT_TRUE(no_srs);
  EXPECT_EQ(no_srs->doctor.spf_include, "mx.example.net");
}

TEST(DoctorSection, ValuesAsGiven) {
  auto c = load_string(
      "[doctor]\ninbound_mx = [\"0 MX1.Example.NET\", \"65535 mx2.example.net\"]\nspf_include = \"_spf.example.net\"\n"
      "egress_prefixes = [\"192.0.2.0/0\", \"192.0.2.0/32\", \"2001:db8::/128\"]\ndmarc_rua = \"dmarc@example.net\"\n",
      "t.toml");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->doctor.inbound_mx.size(), 2u);
  EXPECT_EQ(c->doctor.inbound_mx[0].preference, 0u);
  EXPECT_EQ(c->doctor.inbound_mx[0].host, "mx1.example.net");
  EXPECT_EQ(c->doctor.inbound_mx[1].preference, 65535u);
  EXPECT_EQ(c->doctor.spf_include, "_spf.example.net");
  EXPECT_EQ(c->doctor.egress_prefixes.size(), 3u);
  EXPECT_EQ(c->doctor.dmarc_rua, "dmarc@example.net");
}

TEST(DoctorSection, BadValuesAreReportedWithTheirLine) {
  EXPECT_EQ(errors_of("[doctor]\ninbound_mx = [\"65536 mx.example.net\", \"mx.example.net\", \"10 bad..name\"]\n"),
            (std::vector<std::string>{
                "t.toml:2: doctor.inbound_mx[0]: \"65536 mx.example.net\" is not \"PREFERENCE HOST\" (a number 0-65535, a space, a host name)",
                "t.toml:2: doctor.inbound_mx[1]: \"mx.example.net\" is not \"PREFERENCE HOST\" (a number 0-65535, a space, a host name)",
                "t.toml:2: doctor.inbound_mx[2]: \"10 bad..name\" is not \"PREFERENCE HOST\" (a number 0-65535, a space, a host name)"}));
  EXPECT_EQ(errors_of("[doctor]\n\negress_prefixes = [\"192.0.2.0/33\", \"2001:db8::/129\", \"host\"]\n"),
            (std::vector<std::string>{
                "t.toml:3: doctor.egress_prefixes[0]: \"192.0.2.0/33\" is not an IPv4 or IPv6 prefix (\"192.0.2.0/24\")",
                "t.toml:3: doctor.egress_prefixes[1]: \"2001:db8::/129\" is not an IPv4 or IPv6 prefix (\"192.0.2.0/24\")",
                "t.toml:3: doctor.egress_prefixes[2]: \"host\" is not an IPv4 or IPv6 prefix (\"192.0.2.0/24\")"}));
  EXPECT_EQ(errors_of("[doctor]\ndmarc_rua = \"not a mailbox\"\n"),
            (std::vector<std::string>{"t.toml:2: doctor.dmarc_rua: \"not a mailbox\" is not a mailbox (\"dmarc@example.net\")"}));
  EXPECT_EQ(errors_of("[doctor]\nproxy_ranges = \"/nonexistent/ranges.txt\"\n").size(), 1u);
  EXPECT_EQ(errors_of("[doctor]\nspf_include = \"no_dot\"\n"),
            (std::vector<std::string>{"t.toml:2: doctor.spf_include: \"no_dot\" is not a domain name"}));
  EXPECT_EQ(errors_of("[doctor]\ncnames = [\"mta-sts\", \"a b..c\"]\n"),
            (std::vector<std::string>{
                "t.toml:2: doctor.cnames[0]: \"mta-sts\" is not \"LABEL TARGET\" (\"mta-sts mta-sts.example.net\")",
                "t.toml:2: doctor.cnames[1]: \"a b..c\" is not \"LABEL TARGET\" (\"mta-sts mta-sts.example.net\")"}));
  auto c = load_string("[doctor]\ncnames = [\"MTA-STS mta-sts.Fwd.example.\"]\n", "t.toml");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->doctor.cnames.size(), 1u);
  EXPECT_EQ(c->doctor.cnames[0].label, "mta-sts");
  EXPECT_EQ(c->doctor.cnames[0].target, "mta-sts.fwd.example");
  EXPECT_EQ(errors_of("[doctor]\nbogus = 1\n"), (std::vector<std::string>{"t.toml:2: doctor.bogus: unknown key"}));
}

}  // namespace
}  // namespace hikyaku::config
