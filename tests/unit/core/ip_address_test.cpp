// Canonical addresses, prefixes and local addresses (core/ip_address.hpp).
#include "core/ip_address.hpp"

#include <gtest/gtest.h>

namespace hikyaku::core {
namespace {

TEST(CanonicalIp, UnmapsIpv4MappedAndShortensIpv6) {
  EXPECT_EQ(canonical_ip("::ffff:127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(canonical_ip("::FFFF:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(canonical_ip("2001:DB8:0:0::1"), "2001:db8::1");
  EXPECT_EQ(canonical_ip("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(canonical_ip("::1"), "::1");
}

TEST(CanonicalIp, RefusesWhatIsNoAddress) {
  EXPECT_EQ(canonical_ip(""), std::nullopt);
  EXPECT_EQ(canonical_ip("[::1]"), std::nullopt);
  EXPECT_EQ(canonical_ip("192.0.2.256"), std::nullopt);
  EXPECT_EQ(canonical_ip("fe80::1%eth0"), std::nullopt);
  EXPECT_EQ(canonical_ip("127.1"), std::nullopt);  // inet_aton shorthand is no address here
  EXPECT_EQ(canonical_ip(std::string(46, '1')), std::nullopt);
}

TEST(LocalAddress, LoopbackUnspecifiedAndTheirIpv6Forms) {
  for (const char* local : {"127.0.0.1", "127.255.255.254", "127.0.0.2", "0.0.0.0", "::1", "::",
                            "::ffff:127.0.0.1", "::127.0.0.1", "::ffff:127.9.9.9"}) {
    auto a = IpAddress::parse(local);
    ASSERT_TRUE(a) << local;
    EXPECT_TRUE(is_local_address(*a)) << local;
  }
  for (const char* remote : {"128.0.0.1", "126.255.255.255", "192.0.2.1", "2001:db8::1",
                             "::ffff:192.0.2.1", "1::1", "fe80::1"}) {
    auto a = IpAddress::parse(remote);
    ASSERT_TRUE(a) << remote;
    EXPECT_FALSE(is_local_address(*a)) << remote;
  }
}

TEST(IpPrefix, ContainsAtTheBoundary) {
  auto p = IpPrefix::parse("192.0.2.128/25");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*IpAddress::parse("192.0.2.128")));
  EXPECT_TRUE(p->contains(*IpAddress::parse("192.0.2.255")));
  EXPECT_FALSE(p->contains(*IpAddress::parse("192.0.2.127")));
  EXPECT_FALSE(p->contains(*IpAddress::parse("192.0.3.128")));
  EXPECT_TRUE(p->contains(*IpAddress::parse("::ffff:192.0.2.200")));  // unmapped first
  EXPECT_FALSE(p->contains(*IpAddress::parse("2001:db8::1")));

  auto v6 = IpPrefix::parse("2001:db8:1::/48");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*IpAddress::parse("2001:db8:1:ffff::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("2001:db8:2::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("192.0.2.1")));
}

TEST(IpPrefix, SingleAddressesAndWholeSpaces) {
  auto one = IpPrefix::parse("127.0.0.1");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->length, 32);
  EXPECT_TRUE(one->contains(*IpAddress::parse("127.0.0.1")));
  EXPECT_FALSE(one->contains(*IpAddress::parse("127.0.0.2")));
  EXPECT_EQ(IpPrefix::parse("::1")->length, 128);
  auto all4 = IpPrefix::parse("0.0.0.0/0");
  ASSERT_TRUE(all4);
  EXPECT_TRUE(all4->contains(*IpAddress::parse("203.0.113.9")));
  EXPECT_FALSE(all4->contains(*IpAddress::parse("::1")));
  auto mapped = IpPrefix::parse("::ffff:192.0.2.0/120");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->to_string(), "192.0.2.0/24");
}

TEST(IpPrefix, RefusesBadLengthsAndHostBits) {
  for (const char* bad : {"192.0.2.0/33", "192.0.2.0/", "192.0.2.0/024", "192.0.2.0/-1",
                          "192.0.2.0/2a", "192.0.2.1/24", "2001:db8::/129", "2001:db8::1/64",
                          "::ffff:192.0.2.0/95", "example.com/24", "/24", ""}) {
    EXPECT_FALSE(IpPrefix::parse(bad)) << bad;
  }
  EXPECT_EQ(IpPrefix::parse("2001:DB8::/32")->to_string(), "2001:db8::/32");
}

}  // namespace
}  // namespace hikyaku::core
