// PROXY protocol v1/v2 headers: valid ones, every truncation (Incomplete), and invalid ones.
// HAProxy PROXY protocol spec §2.1 (v1), §2.2 (v2).
#include <gtest/gtest.h>

#include <string>

#include "smtpd/proxy_protocol.hpp"

namespace hikyaku::smtpd {
namespace {

const ProxyHeader* header(const ProxyParse& p) { return std::get_if<ProxyHeader>(&p); }
bool incomplete(const ProxyParse& p) { return std::holds_alternative<ProxyIncomplete>(p); }
bool invalid(const ProxyParse& p) { return std::holds_alternative<ProxyInvalid>(p); }

const std::string kSig("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);

std::string v2(unsigned char ver_cmd, unsigned char family, const std::string& payload) {
  std::string h = kSig;
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(family);
  h += static_cast<char>((payload.size() >> 8) & 0xFF);
  h += static_cast<char>(payload.size() & 0xFF);
  return h + payload;
}

std::string v2_tcp4() {
  // 192.0.2.1:56324 -> 198.51.100.2:25
  return v2(0x21, 0x11, std::string("\xC0\x00\x02\x01\xC6\x33\x64\x02\xDC\x04\x00\x19", 12));
}

std::string v2_tcp6_with_tlv() {
  std::string a("\x20\x01\x0d\xb8", 4);
  a += std::string(11, '\0') + "\x01";  // 2001:db8::1
  std::string b("\x20\x01\x0d\xb8", 4);
  b += std::string(11, '\0') + "\x02";  // 2001:db8::2
  std::string ports("\x01\xBB\x00\x19", 4);  // 443 -> 25
  std::string tlv("\x04\x00\x03" "abc", 6);  // PP2_TYPE_NOOP, skipped
  return v2(0x21, 0x21, a + b + ports + tlv);
}

TEST(ProxyV1, Tcp4) {
  const std::string h = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n";
  auto p = parse_proxy_header(h + "EHLO x\r\n");
  ASSERT_TRUE(header(p));
  EXPECT_FALSE(header(p)->local);
  EXPECT_EQ(header(p)->source_ip, "192.0.2.1");
  EXPECT_EQ(header(p)->dest_ip, "198.51.100.2");
  EXPECT_EQ(header(p)->source_port, 56324);
  EXPECT_EQ(header(p)->dest_port, 25);
  EXPECT_EQ(header(p)->consumed, h.size());
}

TEST(ProxyV1, Tcp6AndPortBounds) {
  auto p = parse_proxy_header("PROXY TCP6 2001:db8::1 2001:db8::2 0 65535\r\n");
  ASSERT_TRUE(header(p));
  EXPECT_EQ(header(p)->source_ip, "2001:db8::1");
  EXPECT_EQ(header(p)->source_port, 0);
  EXPECT_EQ(header(p)->dest_port, 65535);
  EXPECT_TRUE(invalid(parse_proxy_header("PROXY TCP6 2001:db8::1 2001:db8::2 0 65536\r\n")));
}

TEST(ProxyV1, Unknown) {
  for (std::string h : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"}) {
    auto p = parse_proxy_header(h);
    ASSERT_TRUE(header(p)) << h;
    EXPECT_TRUE(header(p)->local);
    EXPECT_EQ(header(p)->consumed, h.size());
  }
}

TEST(ProxyV1, LongestHeaderIs107Octets) {
  const std::string longest =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  ASSERT_EQ(longest.size(), 104u);
  EXPECT_TRUE(header(parse_proxy_header(longest)));
  const std::string unknown107 = "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n";
  ASSERT_EQ(unknown107.size(), 107u);
  EXPECT_TRUE(header(parse_proxy_header(unknown107)));
  const std::string unknown108 = "PROXY UNKNOWN " + std::string(92, 'x') + "\r\n";
  EXPECT_TRUE(invalid(parse_proxy_header(unknown108)));
  EXPECT_TRUE(invalid(parse_proxy_header("PROXY UNKNOWN " + std::string(200, 'x'))));
}

TEST(ProxyV1, EveryTruncationIsIncomplete) {
  for (std::string h : {std::string("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n"),
                        std::string("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.9 1 2\r\n"),
                        std::string("PROXY UNKNOWN\r\n")}) {
    for (size_t n = 0; n < h.size(); ++n) {
      EXPECT_TRUE(incomplete(parse_proxy_header(h.substr(0, n)))) << h << " cut at " << n;
    }
    EXPECT_TRUE(header(parse_proxy_header(h)));
  }
}

TEST(ProxyV1, Invalid) {
  for (std::string h : {
           "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\n",      // bare LF
           "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\r\n",  // CR in the line
           "PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n",       // family mismatch
           "PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n",
           "PROXY TCP4 192.0.2.256 198.51.100.2 1 2\r\n",
           "PROXY TCP4 192.0.2.1 198.51.100.2 +1 2\r\n",        // sign
           "PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n",
           "PROXY TCP4 192.0.2.1 198.51.100.2 01 2\r\n",        // leading zero
           "PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n",           // too few fields
           "PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n",       // too many
           "PROXY TCP4  192.0.2.1 198.51.100.2 1 2\r\n",        // double space
           "PROXY TCP4\r\n",
           "PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n",
           "PROXY tcp4 192.0.2.1 198.51.100.2 1 2\r\n",
           "PROXY \r\n",
           "PROXYTCP4 192.0.2.1 198.51.100.2 1 2\r\n",
           "EHLO client.test\r\n",
           "GET / HTTP/1.0\r\n",
       }) {
    EXPECT_TRUE(invalid(parse_proxy_header(h))) << testing::PrintToString(h);
  }
}

TEST(ProxyV1, InvalidIsReportedBeforeTheLineEnds) {
  EXPECT_TRUE(invalid(parse_proxy_header("PROXY X")));
  EXPECT_TRUE(invalid(parse_proxy_header("PROXY TCP4 192.0.2.x")));
  EXPECT_TRUE(invalid(parse_proxy_header("PROXY TCP4 192.0.2.1 198.51.100.2 123456")));
  EXPECT_TRUE(invalid(parse_proxy_header("PROXY TCP4 192.0.2.1 10.0.0.1.5 ")));
  EXPECT_TRUE(invalid(parse_proxy_header("E")));
}

TEST(ProxyV2, Tcp4) {
  const std::string h = v2_tcp4();
  auto p = parse_proxy_header(h + "EHLO");
  ASSERT_TRUE(header(p));
  EXPECT_FALSE(header(p)->local);
  EXPECT_EQ(header(p)->source_ip, "192.0.2.1");
  EXPECT_EQ(header(p)->dest_ip, "198.51.100.2");
  EXPECT_EQ(header(p)->source_port, 56324);
  EXPECT_EQ(header(p)->dest_port, 25);
  EXPECT_EQ(header(p)->consumed, 28u);
}

TEST(ProxyV2, Tcp6WithTlvsSkipped) {
  const std::string h = v2_tcp6_with_tlv();
  auto p = parse_proxy_header(h + "X");
  ASSERT_TRUE(header(p));
  EXPECT_EQ(header(p)->source_ip, "2001:db8::1");
  EXPECT_EQ(header(p)->dest_ip, "2001:db8::2");
  EXPECT_EQ(header(p)->source_port, 443);
  EXPECT_EQ(header(p)->dest_port, 25);
  EXPECT_EQ(header(p)->consumed, 16u + 36 + 6);
}

TEST(ProxyV2, LocalAndUnspec) {
  auto local = parse_proxy_header(v2(0x20, 0x00, ""));
  ASSERT_TRUE(header(local));
  EXPECT_TRUE(header(local)->local);
  EXPECT_EQ(header(local)->consumed, 16u);
  // LOCAL ignores the family and whatever addresses follow.
  auto local2 = parse_proxy_header(v2(0x20, 0x11, std::string(12, '\x01')));
  ASSERT_TRUE(header(local2));
  EXPECT_TRUE(header(local2)->local);
  EXPECT_EQ(header(local2)->consumed, 28u);
  auto unspec = parse_proxy_header(v2(0x21, 0x00, "abc"));
  ASSERT_TRUE(header(unspec));
  EXPECT_TRUE(header(unspec)->local);
  EXPECT_EQ(header(unspec)->consumed, 19u);
}

TEST(ProxyV2, EveryTruncationIsIncomplete) {
  for (const std::string& h : {v2_tcp4(), v2_tcp6_with_tlv(), v2(0x20, 0x00, "")}) {
    for (size_t n = 0; n < h.size(); ++n) {
      EXPECT_TRUE(incomplete(parse_proxy_header(h.substr(0, n)))) << "cut at " << n;
    }
    EXPECT_TRUE(header(parse_proxy_header(h)));
  }
}

TEST(ProxyV2, Invalid) {
  std::string bad_sig = v2_tcp4();
  bad_sig[5] = 'X';
  EXPECT_TRUE(invalid(parse_proxy_header(bad_sig)));
  EXPECT_TRUE(invalid(parse_proxy_header(bad_sig.substr(0, 6))));  // known as soon as it differs
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x11, 0x11, std::string(12, '\0')))));  // version 1
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x31, 0x11, std::string(12, '\0')))));  // version 3
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x22, 0x11, std::string(12, '\0')))));  // command 2
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x21, 0x12, std::string(12, '\0')))));  // UDP4
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x21, 0x22, std::string(36, '\0')))));  // UDP6
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x21, 0x31, std::string(216, '\0')))));  // UNIX
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x21, 0x11, std::string(11, '\0')))));  // short
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x21, 0x21, std::string(35, '\0')))));
  // The problem is visible from the 14th octet, before the payload arrives.
  EXPECT_TRUE(invalid(parse_proxy_header(v2(0x21, 0x12, "").substr(0, 14))));
}

TEST(ProxyV2, MaximumLength) {
  const std::string h = v2(0x21, 0x11, std::string(65535, '\x01'));
  ASSERT_EQ(h.size(), kMaxProxyHeader);
  auto p = parse_proxy_header(h);
  ASSERT_TRUE(header(p));
  EXPECT_EQ(header(p)->consumed, kMaxProxyHeader);
  EXPECT_TRUE(incomplete(parse_proxy_header(h.substr(0, kMaxProxyHeader - 1))));
}

TEST(Proxy, EmptyInputIsIncomplete) { EXPECT_TRUE(incomplete(parse_proxy_header(""))); }

}  // namespace
}  // namespace hikyaku::smtpd
