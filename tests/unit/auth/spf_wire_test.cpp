// The relay <-> SPF helper frames (auth/spf_wire.hpp): every message round-trips, and
// truncated, oversize, empty, unknown and out-of-range frames are error values.
#include <gtest/gtest.h>

#include <string>

#include "auth/spf_wire.hpp"

namespace hikyaku::auth {
namespace {

std::string frame(const SpfMessage& m) {
  auto f = encode_spf_frame(m);
  EXPECT_TRUE(f.has_value());
  return f ? *f : std::string();
}

template <class T>
T round_trip(const T& m) {
  const auto decoded = decode_spf_frame(frame(m));
  EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : to_string(decoded.error()));
  if (!decoded) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*decoded));
  return std::holds_alternative<T>(*decoded) ? std::get<T>(*decoded) : T{};
}

std::string header(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}

TEST(SpfWire, CheckRequestRoundTrips) {
  const SpfCheckRequest r{"2001:db8::25", "mail.example.org", "", "relay.example.net"};
  EXPECT_EQ(round_trip(r), r);
  const SpfCheckRequest s{"192.0.2.1", "h", "user@example.com", ""};
  EXPECT_EQ(round_trip(s), s);
}

TEST(SpfWire, DnsQueryRoundTripsForEveryAllowedType) {
  for (auto t : {dns::RecordType::a, dns::RecordType::aaaa, dns::RecordType::txt, dns::RecordType::mx,
                 dns::RecordType::ptr}) {
    const SpfDnsQuery q{"_spf.example.com", t};
    EXPECT_EQ(round_trip(q), q);
  }
}

TEST(SpfWire, DnsReplyRoundTrips) {
  const SpfDnsReply r{SpfDnsStatus::ok, 300, {"v=spf1 ip4:192.0.2.0/24 -all", "", "10 mx.example.com"}};
  EXPECT_EQ(round_trip(r), r);
  const SpfDnsReply n{SpfDnsStatus::nxdomain, 60, {}};
  EXPECT_EQ(round_trip(n), n);
  const SpfDnsReply t{SpfDnsStatus::temperror, 0, {}};
  EXPECT_EQ(round_trip(t), t);
}

TEST(SpfWire, VerdictRoundTrips) {
  SpfVerdict v;
  v.mail_from = {SpfResult::softfail, "a@example.com", "example.com", "not listed"};
  v.helo = {SpfResult::permerror, "mail.example.com", "mail.example.com", "syntax"};
  const SpfVerdict back = round_trip(v);
  EXPECT_EQ(back.mail_from.result, SpfResult::softfail);
  EXPECT_EQ(back.mail_from.identity, "a@example.com");
  EXPECT_EQ(back.mail_from.domain, "example.com");
  EXPECT_EQ(back.mail_from.reason, "not listed");
  EXPECT_EQ(back.helo.result, SpfResult::permerror);
  EXPECT_EQ(back.helo.reason, "syntax");
}

TEST(SpfWire, EveryTruncationIsAnError) {
  const std::string f = frame(SpfCheckRequest{"192.0.2.1", "helo.example", "a@b.example", "r"});
  for (size_t n = 0; n < f.size(); ++n) {
    const auto d = decode_spf_frame(f.substr(0, n));
    ASSERT_FALSE(d.has_value()) << n;
    EXPECT_EQ(d.error(), SpfWireError::truncated) << n;
  }
  // A payload whose fields stop short of what the header-less decoder needs.
  const std::string payload = f.substr(4);
  for (size_t n = 1; n < payload.size(); ++n) {
    const auto d = decode_spf_payload(payload.substr(0, n));
    ASSERT_FALSE(d.has_value()) << n;
    EXPECT_EQ(d.error(), SpfWireError::truncated) << n;
  }
}

TEST(SpfWire, FrameSizeLimitAtItsBoundary) {
  EXPECT_EQ(*parse_spf_frame_header(header(kSpfMaxFrame)), kSpfMaxFrame);
  EXPECT_EQ(*parse_spf_frame_header(header(kSpfMaxFrame - 1)), kSpfMaxFrame - 1);
  EXPECT_EQ(parse_spf_frame_header(header(kSpfMaxFrame + 1)).error(), SpfWireError::oversize);
  EXPECT_EQ(parse_spf_frame_header(header(0xffffffff)).error(), SpfWireError::oversize);
  EXPECT_EQ(parse_spf_frame_header(header(0)).error(), SpfWireError::empty);
  EXPECT_EQ(parse_spf_frame_header("\0\0\1").error(), SpfWireError::truncated);
  EXPECT_EQ(decode_spf_payload(std::string(kSpfMaxFrame + 1, '\3')).error(), SpfWireError::oversize);
}

TEST(SpfWire, EncodingRefusesWhatCannotBeDecoded) {
  // One record of 65535 octets fits a string but, with the rest, not a frame.
  SpfDnsReply big{SpfDnsStatus::ok, 1, {std::string(0xffff, 'x')}};
  EXPECT_EQ(encode_spf_frame(big).error(), SpfWireError::oversize);
  SpfDnsReply longer{SpfDnsStatus::ok, 1, {std::string(0x10000, 'x')}};
  EXPECT_EQ(encode_spf_frame(longer).error(), SpfWireError::oversize);
  // Just under the frame limit: header 1+1+4+2, record 2+n.
  SpfDnsReply fits{SpfDnsStatus::ok, 1, {std::string(30000, 'x'), std::string(kSpfMaxFrame - 8 - 4 - 30000, 'y')}};
  EXPECT_EQ(round_trip(fits), fits);
  fits.records.back().push_back('z');
  EXPECT_EQ(encode_spf_frame(fits).error(), SpfWireError::oversize);
}

TEST(SpfWire, BadTypesAndValues) {
  EXPECT_EQ(decode_spf_payload(std::string("\x09", 1)).error(), SpfWireError::bad_type);
  EXPECT_EQ(decode_spf_payload(std::string("\x00", 1)).error(), SpfWireError::bad_type);
  EXPECT_EQ(decode_spf_payload("").error(), SpfWireError::empty);
  // A DNS query for a type SPF evaluation never asks (NS = 2).
  EXPECT_EQ(decode_spf_payload(std::string("\x02\x00\x01x\x00\x02", 6)).error(), SpfWireError::bad_value);
  // A DNS reply status past temperror.
  EXPECT_EQ(decode_spf_payload(std::string("\x03\x04\0\0\0\0\0\0", 8)).error(), SpfWireError::bad_value);
  // A verdict result past permerror.
  EXPECT_EQ(decode_spf_payload(std::string("\x04\x07\0\0\0\0\0\0", 8)).error(), SpfWireError::bad_value);
  // A NUL inside a name handed to libspf2.
  EXPECT_EQ(decode_spf_payload(std::string("\x02\x00\x03" "a\0b" "\x00\x10", 8)).error(),
            SpfWireError::bad_value);
  // Octets after the last field.
  std::string f = frame(SpfDnsQuery{"example.com", dns::RecordType::txt});
  EXPECT_EQ(decode_spf_payload(f.substr(4) + "x").error(), SpfWireError::trailing_bytes);
  EXPECT_EQ(decode_spf_frame(f + "x").error(), SpfWireError::trailing_bytes);
}

TEST(SpfWire, RecordCountBeyondThePayloadIsTruncated) {
  // 65535 records announced, none present: refused without allocating them.
  EXPECT_EQ(decode_spf_payload(std::string("\x03\x00\0\0\0\0\xff\xff", 8)).error(), SpfWireError::truncated);
}

TEST(SpfWire, DnsAnswersBecomeReplies) {
  auto a = dns::DnsAnswer::failure("example.com", dns::RecordType::mx, dns::DnsStatus::ok);
  a.mx = {{10, "mx1.example.com"}, {20, "mx2.example.com"}};
  a.ttl = 300;
  const auto r = to_spf_dns_reply(a);
  EXPECT_EQ(r.status, SpfDnsStatus::ok);
  EXPECT_EQ(r.ttl, 300u);
  EXPECT_EQ(r.records, (std::vector<std::string>{"10 mx1.example.com", "20 mx2.example.com"}));
  auto v6 = dns::DnsAnswer::failure("example.com", dns::RecordType::aaaa, dns::DnsStatus::ok);
  v6.addresses = {boost::asio::ip::make_address("2001:db8::1")};
  EXPECT_EQ(to_spf_dns_reply(v6).records, std::vector<std::string>{"2001:db8::1"});
  EXPECT_EQ(to_spf_dns_reply(dns::DnsAnswer::failure("x", dns::RecordType::a, dns::DnsStatus::timeout)).status,
            SpfDnsStatus::temperror);
  EXPECT_EQ(to_spf_dns_reply(dns::DnsAnswer::failure("x", dns::RecordType::a, dns::DnsStatus::servfail)).status,
            SpfDnsStatus::temperror);
  EXPECT_EQ(to_spf_dns_reply(dns::DnsAnswer::failure("x", dns::RecordType::a, dns::DnsStatus::nodata)).status,
            SpfDnsStatus::nodata);
  EXPECT_EQ(to_spf_dns_reply(dns::DnsAnswer::failure("x", dns::RecordType::a, dns::DnsStatus::nxdomain)).status,
            SpfDnsStatus::nxdomain);
}

}  // namespace
}  // namespace hikyaku::auth
