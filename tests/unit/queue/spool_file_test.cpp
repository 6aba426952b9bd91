// Tests for queue/spool_file: exact round trips with hostile bytes, and refusal (with a reason,
// never a partial entry) of truncated, bit-flipped, wrong-magic and non-canonical files.
#include <gtest/gtest.h>

#include <string>

#include "queue/spool_file.hpp"

namespace hikyaku::queue {
namespace {

using namespace std::string_literals;

SpoolEntry hostile_entry() {
  SpoolEntry e;
  e.queue_id = "Q1 %\r\n";
  e.arrival = 1790000000;
  e.mail_from = "alice@example.org";
  e.upstream_from = "SRS0=ab=CD=example.org=alice@fwd.example";
  e.recipients = {{"bob@example.net", RcptState::pending, ""},
                  {"carol@example.net", RcptState::delivered, "250 ok"},
                  {"d\xC3\xA9@ex.net", RcptState::failed, "550 5.1.1 no such\r\nuser\0x"s}};
  e.attempts = 3;
  e.next_try = -5;
  e.last_error = "451 4.4.1 timeout\n end deadbeef";
  e.message = "Subject: x\r\n\r\nbody\0nul\rbare CR\nbare LF\n"
              "message-length: 1\nend 0000\nhikyaku-spool 1\n\xFF\xFE\x80"s;
  return e;
}

TEST(SpoolFile, RoundTripsHostileBytesExactly) {
  const SpoolEntry e = hostile_entry();
  const std::string bytes = encode(e);
  const auto back = decode(bytes);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, e);
  EXPECT_EQ(back->message, e.message);
  EXPECT_EQ(back->recipients.size(), 3u);
  EXPECT_EQ(back->recipients[2].last_error, e.recipients[2].last_error);
}

TEST(SpoolFile, RoundTripsEmptyAndNullSender) {
  SpoolEntry e;  // null senders, no recipients, empty message
  const auto back = decode(encode(e));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, e);
  EXPECT_TRUE(back->mail_from.empty());
}

TEST(SpoolFile, RoundTripsEveryOctetInEveryField) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  SpoolEntry e;
  e.queue_id = e.mail_from = e.upstream_from = e.last_error = e.message = all;
  e.recipients = {{all, RcptState::failed, all}};
  const auto back = decode(encode(e));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, e);
}

TEST(SpoolFile, HeaderHasNoRawCrOrControlOctets) {
  const std::string bytes = encode(hostile_entry());
  const auto header_end = bytes.find("message-length: ");
  ASSERT_NE(header_end, std::string::npos);
  for (std::size_t i = 0; i < header_end; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7F)) << "octet " << int(c) << " at " << i;
  }
  EXPECT_EQ(bytes.rfind("hikyaku-spool 1\n", 0), 0u);
}

TEST(SpoolFile, EveryTruncationIsRefusedWithAReason) {
  const std::string bytes = encode(hostile_entry());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto r = decode(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r) << "truncated to " << n << " decoded";
    EXPECT_FALSE(r.error().empty());
  }
}

TEST(SpoolFile, EveryFlippedBitIsRefused) {
  const std::string bytes = encode(hostile_entry());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ASSERT_FALSE(decode(bad)) << "flip at " << i << " bit " << bit;
    }
  }
}

TEST(SpoolFile, TrailingGarbageIsRefused) {
  EXPECT_FALSE(decode(encode(hostile_entry()) + "x"));
  EXPECT_FALSE(decode(encode(hostile_entry()) + encode(SpoolEntry{})));  // two entries glued
}

TEST(SpoolFile, WrongMagicOrVersionIsRefused) {
  std::string bytes = encode(SpoolEntry{});
  std::string v2 = bytes;
  v2[14] = '2';
  const auto r2 = decode(v2);
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().find("version"), std::string::npos) << r2.error();
  const auto r3 = decode("From: x\r\n\r\nbody");
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.error().find("magic"), std::string::npos) << r3.error();
  EXPECT_FALSE(decode(""));
}

TEST(SpoolFile, ChecksumMismatchSaysSo) {
  std::string bytes = encode(hostile_entry());
  bytes[bytes.size() - 2] = bytes[bytes.size() - 2] == 'a' ? 'b' : 'a';
  const auto r = decode(bytes);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("checksum"), std::string::npos) << r.error();
}

TEST(SpoolFile, EscapingIsCanonical) {
  EXPECT_EQ(escape_value("a b%\r\n"), "a%20b%25%0D%0A");
  EXPECT_EQ(*unescape_value("a%20b%25%0D%0A"), "a b%\r\n");
  EXPECT_FALSE(unescape_value("%41"));   // 'A' must be written raw
  EXPECT_FALSE(unescape_value("%0a"));   // lower-case hex refused
  EXPECT_FALSE(unescape_value("%0"));    // truncated escape
  EXPECT_FALSE(unescape_value("a b"));   // raw space
  EXPECT_FALSE(unescape_value("\xC3"));  // raw 8-bit
}

}  // namespace
}  // namespace hikyaku::queue
