// client_key: an IPv4 address as it is, an IPv6 address as its /64, IPv4-mapped addresses
// unmapped (RFC 4291 §2.5.4, §2.5.5.2); anything else is its own key.
#include <gtest/gtest.h>

#include "core/client_key.hpp"

namespace hikyaku::core {
namespace {

TEST(ClientKey, Ipv4IsTheAddress) {
  EXPECT_EQ(client_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(client_key("198.51.100.255"), "198.51.100.255");
}

TEST(ClientKey, Ipv6IsItsSlash64) {
  EXPECT_EQ(client_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("2001:db8:1:2::"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  EXPECT_NE(client_key("2001:db8:1:3::1"), client_key("2001:db8:1:2::1"));  // the next /64
  EXPECT_EQ(client_key("::1"), "::/64");
}

TEST(ClientKey, Ipv4MappedIsUnmapped) {
  EXPECT_EQ(client_key("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(client_key("::ffff:c000:207"), "192.0.2.7");
}

TEST(ClientKey, NotAnAddressIsItsOwnKey) {
  EXPECT_EQ(client_key("unknown"), "unknown");
  EXPECT_EQ(client_key(""), "");
}

}  // namespace
}  // namespace hikyaku::core
