// The proxy ranges file and prefix matching (RFC 4632 §3.1, RFC 4291 §2.3).
#include <gtest/gtest.h>

#include "doctor/proxy_ranges.hpp"

namespace hikyaku::doctor {
namespace {

boost::asio::ip::address ip(const char* text) { return boost::asio::ip::make_address(text); }

TEST(ProxyRanges, BuiltinListIsTheShippedDatedFile) {
  const auto& r = ProxyRanges::builtin();
  EXPECT_EQ(r.size(), 22u);  // 15 IPv4 + 7 IPv6 published ranges
  EXPECT_EQ(r.date(), "2026-12-07");
  EXPECT_TRUE(r.proxied(ip("104.16.0.1")));
  EXPECT_TRUE(r.proxied(ip("104.23.255.255")));
  EXPECT_FALSE(r.proxied(ip("104.28.0.0")));  // past 104.24.0.0/14
  EXPECT_TRUE(r.proxied(ip("2606:4700::1")));
  EXPECT_TRUE(r.proxied(ip("2a06:98c7:ffff::1")));   // inside the /29
  EXPECT_FALSE(r.proxied(ip("2a06:98c8::1")));       // just past it
  EXPECT_FALSE(r.proxied(ip("192.0.2.1")));
  EXPECT_TRUE(r.is_mail_host("route1.mx.cloudflare.net"));
  EXPECT_FALSE(r.is_mail_host("mx.example.com"));
}

TEST(ProxyRanges, BoundariesOfAPrefix) {
  auto r = ProxyRanges::parse("proxy 198.51.100.0/24\n", "t");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->proxied(ip("198.51.99.255")));
  EXPECT_TRUE(r->proxied(ip("198.51.100.0")));
  EXPECT_TRUE(r->proxied(ip("198.51.100.255")));
  EXPECT_FALSE(r->proxied(ip("198.51.101.0")));
}

TEST(ProxyRanges, MailRangesAreExempt) {
  auto r = ProxyRanges::parse("# date: 2026-01-01\nproxy 198.51.100.0/24\nmail 198.51.100.128/25  # the provider's MTA\n", "t");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->date(), "2026-01-01");
  EXPECT_TRUE(r->proxied(ip("198.51.100.1")));
  EXPECT_FALSE(r->proxied(ip("198.51.100.200")));
}

TEST(ProxyRanges, ErrorsNameTheLine) {
  auto r = ProxyRanges::parse("proxy 192.0.2.0/24\nproxy 192.0.2.0/40\n", "ranges.txt");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "ranges.txt:2: bad prefix \"192.0.2.0/40\"");
  EXPECT_FALSE(ProxyRanges::parse("cdn 192.0.2.0/24\n", "x"));
  EXPECT_FALSE(ProxyRanges::parse("proxy\n", "x"));
}

}  // namespace
}  // namespace hikyaku::doctor
