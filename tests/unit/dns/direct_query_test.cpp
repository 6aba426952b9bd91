// dns::query_direct against a scripted UDP server on loopback: the question on the wire
// (RFC 1035 §4.1, RD=0), the reply's RCODE, AA bit and SOA serial, replies for other questions
// ignored, a silent server timing out and a closed port failing.
#include <gtest/gtest.h>

#include <thread>

#include <boost/asio.hpp>

#include "dns/direct_query.hpp"
#include "test_support.hpp"

namespace hikyaku::dns {
namespace {

using asio::ip::udp;

TEST(DirectQuery, EncodesTheQuestionWithoutRecursion) {
  const auto q = encode_query(0x1234, "example.test", RecordType::soa, false);
  const std::vector<uint8_t> expected = {0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                         7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
                                         0, 6, 0, 1};
  EXPECT_EQ(q, expected);
  EXPECT_EQ(encode_query(1, "a", RecordType::a, true)[2], 0x01);
  EXPECT_TRUE(encode_query(1, "a..b", RecordType::a, false).empty());
}

TEST(DirectQuery, ParsesServerEndpoints) {
  EXPECT_EQ(parse_server_endpoint("127.0.0.1:5353")->port(), 5353);
  EXPECT_EQ(parse_server_endpoint("[::1]:53")->address().to_string(), "::1");
  EXPECT_EQ(parse_server_endpoint("192.0.2.1")->port(), 53);
  EXPECT_FALSE(parse_server_endpoint("host:53"));
  EXPECT_FALSE(parse_server_endpoint("127.0.0.1:0"));
  EXPECT_FALSE(parse_server_endpoint("127.0.0.1:65536"));
}

// A reply to `query` with AA set and one SOA answer of serial `serial`.
std::vector<uint8_t> soa_reply(const std::vector<uint8_t>& query, uint32_t serial, bool wrong_id) {
  std::vector<uint8_t> r(query);
  if (wrong_id) r[1] ^= 0xFF;
  r[2] = 0x84;  // QR, AA
  r[3] = 0x00;
  r[7] = 1;     // ANCOUNT
  const std::vector<uint8_t> rr = {0xC0, 0x0C, 0, 6, 0, 1, 0, 0, 0x0E, 0x10, 0, 29,
                                   2, 'n', 's', 0xC0, 0x0C, 1, 'h', 0xC0, 0x0C,
                                   static_cast<uint8_t>(serial >> 24), static_cast<uint8_t>(serial >> 16),
                                   static_cast<uint8_t>(serial >> 8), static_cast<uint8_t>(serial),
                                   0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  r.insert(r.end(), rr.begin(), rr.end());
  return r;
}

TEST(DirectQuery, ReadsRcodeAuthorityAndSerialAndSkipsOtherReplies) {
  asio::io_context server_io;
  udp::socket server(server_io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto endpoint = server.local_endpoint();
  std::thread t([&] {
    std::vector<uint8_t> buf(512);
    udp::endpoint from;
    const size_t n = server.receive_from(asio::buffer(buf), from);
    buf.resize(n);
    EXPECT_EQ(buf[2] & 0x01, 0);  // RD clear
    server.send_to(asio::buffer(soa_reply(buf, 1, true)), from);   // another id: ignored
    server.send_to(asio::buffer(soa_reply(buf, 2026120701, false)), from);
  });
  asio::io_context io;
  auto reply = test::run_for(io, query_direct(endpoint, "example.test", RecordType::soa, std::chrono::seconds(10)));
  t.join();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rcode, 0);
  EXPECT_TRUE(reply->authoritative);
  ASSERT_TRUE(reply->soa_serial);
  EXPECT_EQ(*reply->soa_serial, 2026120701u);
  EXPECT_EQ(reply->answer.status, DnsStatus::ok);
  EXPECT_EQ(reply->answer.ttl, 3600u);
}

TEST(DirectQuery, ASilentServerTimesOut) {
  asio::io_context server_io;
  udp::socket silent(server_io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::io_context io;
  const auto start = std::chrono::steady_clock::now();
  auto reply = test::run_for(io, query_direct(silent.local_endpoint(), "example.test", RecordType::mx,
                                              std::chrono::milliseconds(300)));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->answer.status, DnsStatus::timeout);
  EXPECT_EQ(reply->rcode, -1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST(DirectQuery, AClosedPortFails) {
  udp::endpoint closed;
  {
    asio::io_context tmp;
    udp::socket s(tmp, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed = s.local_endpoint();
  }
  asio::io_context io;
  auto reply = test::run_for(io, query_direct(closed, "example.test", RecordType::mx, std::chrono::seconds(5)));
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->answer.temporary_failure());
  EXPECT_EQ(reply->rcode, -1);
}

}  // namespace
}  // namespace hikyaku::dns
