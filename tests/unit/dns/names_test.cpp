// Unit tests for dns/names and dns/types: RFC 1035 §5.1 name text and escapes, §2.3.4 limits
// at N and N+1, RFC 4343 case folding, reverse names (RFC 1035 §3.5, RFC 3596 §2.5).
#include <gtest/gtest.h>

#include <string>

#include "dns/names.hpp"
#include "dns/types.hpp"

namespace hikyaku::dns {
namespace {

TEST(DnsNames, NormaliseLowercasesAndDropsTrailingDot) {
  EXPECT_EQ(normalise_name("Mail.Example.COM."), "mail.example.com");
  EXPECT_EQ(normalise_name("mail.example.com"), "mail.example.com");
  EXPECT_EQ(normalise_name("_dmarc.example.com"), "_dmarc.example.com");
  EXPECT_EQ(normalise_name("."), ".");
}

TEST(DnsNames, NormaliseRefusesInvalidNames) {
  EXPECT_FALSE(normalise_name(""));
  EXPECT_FALSE(normalise_name("a..b"));
  EXPECT_FALSE(normalise_name(".a"));
  EXPECT_FALSE(normalise_name("a.."));
  EXPECT_FALSE(normalise_name("a\\"));
  EXPECT_FALSE(normalise_name("a\\25"));    // \DDD needs three digits
  EXPECT_FALSE(normalise_name("a\\256b"));  // over 255
}

TEST(DnsNames, EscapesAreDecodedAndReencoded) {
  auto parsed = parse_name("a\\.b.c\\065\\\\d.");
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->labels.size(), 2u);
  EXPECT_EQ(parsed->labels[0], "a.b");
  EXPECT_EQ(parsed->labels[1], "cA\\d");
  EXPECT_TRUE(parsed->absolute);
  // Canonical text: lowercase, dots and backslashes inside labels escaped.
  EXPECT_EQ(labels_to_name(parsed->labels), "a\\.b.ca\\\\d");
  // Octets outside printable ASCII become \DDD.
  EXPECT_EQ(labels_to_name({std::string("a b\x01", 4), "x"}), "a\\032b\\001.x");
  // And the canonical text parses back to the same labels.
  EXPECT_EQ(split_name("a\\032b\\001.x"), (Labels{std::string("a b\x01", 4), "x"}));
}

TEST(DnsNames, LabelLengthLimitAt63And64) {
  const std::string l63(63, 'a');
  const std::string l64(64, 'a');
  EXPECT_TRUE(parse_name(l63 + ".example"));
  auto bad = parse_name(l64 + ".example");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("63"), std::string::npos) << bad.error();
}

TEST(DnsNames, NameLengthLimitAt255And256WireOctets) {
  // 4 labels of 63 = 4*64 = 256 + root = 257: too long. 3*64 + (61+1) + 1 = 255: fits.
  const std::string l63(63, 'a');
  const std::string fits = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  const std::string over = l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b');
  ASSERT_TRUE(parse_name(fits));
  EXPECT_EQ(wire_length(parse_name(fits)->labels), 255u);
  EXPECT_FALSE(parse_name(over));
}

TEST(DnsNames, AtOrBelowComparesWholeLabels) {
  EXPECT_TRUE(is_at_or_below("a.example.com", "example.com"));
  EXPECT_TRUE(is_at_or_below("example.com", "example.com"));
  EXPECT_TRUE(is_at_or_below("A.Example.com", "example.COM"));
  EXPECT_FALSE(is_at_or_below("badexample.com", "example.com"));
  EXPECT_FALSE(is_at_or_below("com", "example.com"));
  EXPECT_FALSE(is_at_or_below("x\\.example.com", "example.com.x"));
  EXPECT_TRUE(is_at_or_below("anything", "."));
}

TEST(DnsNames, ReverseNameIpv4) {
  EXPECT_EQ(reverse_name("1.2.3.4"), "4.3.2.1.in-addr.arpa");
  EXPECT_EQ(reverse_name("192.0.2.10"), "10.2.0.192.in-addr.arpa");
  EXPECT_EQ(reverse_name(asio::ip::make_address("0.0.0.0")), "0.0.0.0.in-addr.arpa");
}

TEST(DnsNames, ReverseNameIpv6NibblesRfc3596) {
  // RFC 3596 §2.5's own example: 4321:0:1:2:3:4:567:89ab.
  EXPECT_EQ(reverse_name("4321:0:1:2:3:4:567:89ab"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa");
  EXPECT_EQ(reverse_name("2001:DB8::10"),
            "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  // An IPv4-mapped address is an IPv6 address here (no silent conversion).
  EXPECT_EQ(reverse_name("::ffff:192.0.2.1")->substr(0, 16), "1.0.2.0.0.0.0.c.");
}

TEST(DnsNames, ReverseNameRefusesNonAddresses) {
  EXPECT_FALSE(reverse_name("mail.example.com"));
  EXPECT_FALSE(reverse_name("1.2.3"));
  EXPECT_FALSE(reverse_name(""));
}

TEST(DnsTypes, StatusesAreTemporaryOrPermanent) {
  EXPECT_TRUE(is_temporary(DnsStatus::servfail));
  EXPECT_TRUE(is_temporary(DnsStatus::timeout));
  EXPECT_FALSE(is_temporary(DnsStatus::nxdomain));
  EXPECT_TRUE(is_permanent_failure(DnsStatus::nxdomain));
  EXPECT_TRUE(is_permanent_failure(DnsStatus::nodata));
  EXPECT_FALSE(is_permanent_failure(DnsStatus::ok));
  EXPECT_FALSE(is_permanent_failure(DnsStatus::timeout));
}

TEST(DnsTypes, RecordTypeNamesRoundTrip) {
  for (auto t : {RecordType::a, RecordType::aaaa, RecordType::mx, RecordType::txt, RecordType::ptr,
                 RecordType::cname, RecordType::ns, RecordType::soa}) {
    EXPECT_EQ(parse_record_type(to_string(t)), t);
  }
  EXPECT_EQ(parse_record_type("aaaa"), RecordType::aaaa);
  EXPECT_FALSE(parse_record_type("SRV"));
  EXPECT_FALSE(parse_record_type("AA"));
}

TEST(DnsTypes, NullMxIsOneRecordPreferenceZeroRoot) {
  DnsAnswer a = DnsAnswer::failure("example.com", RecordType::mx, DnsStatus::ok);
  a.mx.push_back({0, "."});
  EXPECT_TRUE(a.is_null_mx());
  a.mx.push_back({10, "mx.example.com"});
  EXPECT_FALSE(a.is_null_mx());
  DnsAnswer b = DnsAnswer::failure("example.com", RecordType::mx, DnsStatus::ok);
  b.mx.push_back({10, "."});
  EXPECT_FALSE(b.is_null_mx());
}

TEST(DnsTypes, DescribeEscapesTextForLogs) {
  DnsAnswer a = DnsAnswer::failure("example.com", RecordType::txt, DnsStatus::ok);
  a.texts.push_back("v=spf1\r\nInjected: yes \"q\"");
  a.ttl = 60;
  const std::string line = describe(a);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("\\013\\010Injected"), std::string::npos) << line;
  EXPECT_NE(line.find("ttl=60"), std::string::npos) << line;
}

}  // namespace
}  // namespace hikyaku::dns
