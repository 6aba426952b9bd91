// Tests for queue/spool_file: exact round trips with hostile bytes, and refusal (with a reason,
// never a partial entry) of truncated, bit-flipped, wrong-magic and non-canonical files; the
// MAIL FROM parameters of version 2, the SPF result and original recipients of version 3, and
// version 1 and 2 files still read.
#include <gtest/gtest.h>

#include <algorithm>

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
  e.recipients = {{"bob@example.net", RcptState::pending, "", "info@example.org"},
                  {"carol@example.net", RcptState::delivered, "250 ok", ""},
                  {"d\xC3\xA9@ex.net", RcptState::failed, "550 5.1.1 no such\r\nuser\0x"s,
                   "a b\r\n%\0"s}};
  e.attempts = 3;
  e.next_try = -5;
  e.smtputf8 = true;
  e.last_error = "451 4.4.1 timeout\n end deadbeef";
  e.message = "Subject: x\r\n\r\nbody\0nul\rbare CR\nbare LF\n"
              "message-length: 1\nend 0000\nhikyaku-spool 1\n\xFF\xFE\x80"s;
  return e;
}

// SpoolMetadataReader over `bytes`, fed `piece` octets at a time.
core::Expected<SpoolEntry, std::string> metadata(std::string_view bytes, std::size_t piece) {
  SpoolMetadataReader reader(bytes.size());
  while (!bytes.empty()) {
    const auto n = std::min(piece, bytes.size());
    reader.feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  return reader.finish();
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
  e.recipients = {{all, RcptState::failed, all, all}};
  e.spf = all;
  const auto back = decode(encode(e));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, e);
}

TEST(SpoolFile, RoundTripsTheMailParameters) {
  for (const bool utf8 : {false, true}) {
    for (const bool eight_bit : {false, true}) {
      SpoolEntry e;
      e.queue_id = "P1";
      e.smtputf8 = utf8;
      e.eight_bit = eight_bit;
      e.message = "Subject: caf\xC3\xA9\r\n\r\nbody\r\n";
      const std::string bytes = encode(e);
      EXPECT_NE(bytes.find(utf8 ? "\nsmtputf8: yes\n" : "\nsmtputf8: no\n"), std::string::npos);
      EXPECT_NE(bytes.find(eight_bit ? "\nbody: 8bitmime\n" : "\nbody: 7bit\n"), std::string::npos);
      const auto back = decode(bytes);
      ASSERT_TRUE(back) << back.error();
      EXPECT_EQ(back->smtputf8, utf8);
      EXPECT_EQ(back->eight_bit, eight_bit);
      EXPECT_EQ(*back, e);
    }
  }
}

// Written by the version 1 encoder (before the MAIL FROM parameters were stored).
constexpr std::string_view kVersion1File =
    "hikyaku-spool 1\nqueue-id: V1\narrival: 1790000000\nmail-from: a@origin.example\n"
    "upstream-from: a@origin.example\nattempts: 2\nnext-try: 1790000600\n"
    "last-error: 451%204.3.0%20later\nrcpt-count: 1\nrcpt: pending b@dest.example \n"
    "message-length: 24\nSubject: caf\xC3\xA9\r\n\r\nbody\r\n\n"
    "end 518de6e09171ea35accff4ec90037db7ed4d3b005bc8c910125c97189c8738a0\n";

TEST(SpoolFile, Version1FilesAreStillReadWithoutMailParameters) {
  const auto e = decode(kVersion1File);
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->queue_id, "V1");
  EXPECT_EQ(e->attempts, 2u);
  EXPECT_EQ(e->last_error, "451 4.3.0 later");
  ASSERT_EQ(e->recipients.size(), 1u);
  EXPECT_EQ(e->recipients[0].address, "b@dest.example");
  EXPECT_EQ(e->message, "Subject: caf\xC3\xA9\r\n\r\nbody\r\n");
  EXPECT_FALSE(e->smtputf8);
  EXPECT_FALSE(e->eight_bit);
  // A rewrite (after an attempt) writes version 3 with the same entry.
  const std::string again = encode(*e);
  EXPECT_EQ(again.rfind("hikyaku-spool 3\n", 0), 0u);
  const auto back = decode(again);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, *e);
  // Start-up reads version 1 headers too.
  const auto meta = metadata(kVersion1File, 3);
  ASSERT_TRUE(meta) << meta.error();
  EXPECT_EQ(meta->queue_id, "V1");
  EXPECT_TRUE(meta->message.empty());
}

// Written by the version 2 encoder (before the SPF result and original recipients were stored).
constexpr std::string_view kVersion2File =
    "hikyaku-spool 2\nqueue-id: V2\narrival: 1790000000\nmail-from: a@origin.example\n"
    "upstream-from: SRS0=x@fwd.example\nattempts: 1\nnext-try: 1790000600\n"
    "last-error: \nsmtputf8: yes\nbody: 8bitmime\nrcpt-count: 1\n"
    "rcpt: failed b@dest.example 550%205.1.1%20no\n"
    "message-length: 11\nSubject: x\n\n"
    "end 21a77e7d52dd9717c80ea2a8c9627ec0d2363fd6685a62e76974e91420258afa\n";

TEST(SpoolFile, Version2FilesAreStillReadWithoutSpfOrOriginalRecipients) {
  const auto e = decode(kVersion2File);
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->queue_id, "V2");
  EXPECT_TRUE(e->smtputf8);
  EXPECT_TRUE(e->eight_bit);
  EXPECT_EQ(e->spf, "");
  ASSERT_EQ(e->recipients.size(), 1u);
  EXPECT_EQ(e->recipients[0].address, "b@dest.example");
  EXPECT_EQ(e->recipients[0].last_error, "550 5.1.1 no");
  EXPECT_EQ(e->recipients[0].original, "");
  EXPECT_EQ(e->message, "Subject: x\n");
  const std::string again = encode(*e);
  EXPECT_EQ(again.rfind("hikyaku-spool 3\n", 0), 0u);
  const auto back = decode(again);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, *e);
}

TEST(SpoolFile, RoundTripsSpfAndOriginalRecipients) {
  SpoolEntry e;
  e.queue_id = "V3";
  e.spf = "softfail";
  e.recipients = {{"private@dest.example", RcptState::pending, "", "info@example.com"},
                  {"other@dest.example", RcptState::failed, "550 5.1.1 gone", ""},
                  {"x@dest.example", RcptState::delivered, "", "d\xC3\xA9 %@example.com"}};
  const std::string bytes = encode(e);
  EXPECT_NE(bytes.find("\nspf: softfail\n"), std::string::npos);
  EXPECT_NE(bytes.find("\nrcpt: pending private@dest.example  info@example.com\n"), std::string::npos);
  const auto back = decode(bytes);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, e);
  // A version 3 rcpt line without the original field is refused, not read as version 2.
  const std::string v3_short =
      "hikyaku-spool 3\nqueue-id: Q\narrival: 0\nmail-from: \nupstream-from: \n"
      "attempts: 0\nnext-try: 0\nlast-error: \nsmtputf8: no\nbody: 7bit\nspf: \n"
      "rcpt-count: 1\nrcpt: pending a@b.example \nmessage-length: 0\n\n"
      "end 26362a1d256daee456ab0f93071a35541ee4c240ea0916d811cd08f33619ced4\n";
  const auto refused = decode(v3_short);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("original"), std::string::npos) << refused.error();
}

TEST(SpoolFile, HeaderHasNoRawCrOrControlOctets) {
  const std::string bytes = encode(hostile_entry());
  const auto header_end = bytes.find("message-length: ");
  ASSERT_NE(header_end, std::string::npos);
  for (std::size_t i = 0; i < header_end; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7F)) << "octet " << int(c) << " at " << i;
  }
  EXPECT_EQ(bytes.rfind("hikyaku-spool 3\n", 0), 0u);
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

TEST(SpoolFile, MetadataReaderGivesTheEntryWithoutItsMessage) {
  SpoolEntry e = hostile_entry();
  e.message = std::string(300000, 'm') + "\nmessage-length: 1\n";  // looks like a header line
  const std::string bytes = encode(e);
  SpoolEntry without = e;
  without.message.clear();
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, bytes.size()}) {
    if (piece == 1 && bytes.size() > 100000) continue;  // too slow octet by octet
    auto m = metadata(bytes, piece);
    ASSERT_TRUE(m) << m.error();
    EXPECT_EQ(*m, without);
  }
  auto small = metadata(encode(hostile_entry()), 1);
  ASSERT_TRUE(small) << small.error();
}

TEST(SpoolFile, MetadataReaderRefusesWhatDecodeRefuses) {
  const std::string bytes = encode(hostile_entry());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    ASSERT_FALSE(metadata(std::string_view(bytes).substr(0, n), 5)) << "truncated to " << n;
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    ASSERT_FALSE(metadata(bad, 64)) << "flip at " << i;
  }
  EXPECT_FALSE(metadata(bytes + "x", 64));
  // The same reasons as decode(), short files included.
  for (std::string bad : {std::string("hikyaku-spool 2\ngarbage"), std::string("hikyaku-spool 1\ngarbage"),
                          std::string("garbage\n"), std::string("hikyaku-spool 9\n") + bytes.substr(16),
                          bytes.substr(0, bytes.size() - 2) + "x\n"}) {
    const auto r = metadata(bad, 64);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), decode(bad).error()) << bad;
  }
}

TEST(SpoolFile, TrailingGarbageIsRefused) {
  EXPECT_FALSE(decode(encode(hostile_entry()) + "x"));
  EXPECT_FALSE(decode(encode(hostile_entry()) + encode(SpoolEntry{})));  // two entries glued
}

TEST(SpoolFile, WrongMagicOrVersionIsRefused) {
  std::string bytes = encode(SpoolEntry{});
  std::string v2 = bytes;
  v2[14] = '4';
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
