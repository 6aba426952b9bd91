// The DATA reader on its own: end of data only at CRLF.CRLF, dot-unstuffing, bare CR/LF
// refusal, text line and message size limits at N-1, N, N+1. RFC 5321 §4.5.2, §4.5.3.1.6.
#include <gtest/gtest.h>

#include <string>

#include "smtpd/data_reader.hpp"

namespace hikyaku::smtpd {
namespace {

DataLimits limits(size_t line = 1000, uint64_t size = 10000) { return DataLimits{line, size}; }

struct Read {
  DataOutcome outcome;
  std::string message;
  size_t consumed;
};

Read read_all(std::string_view wire, DataLimits l = limits()) {
  DataReader r(l);
  const size_t n = r.feed(wire);
  Read out{r.outcome(), "", n};
  if (r.outcome() == DataOutcome::ok) out.message = r.take_message();
  return out;
}

Read read_bytewise(std::string_view wire, DataLimits l = limits()) {
  DataReader r(l);
  size_t n = 0;
  for (char c : wire) {
    if (r.done()) break;
    n += r.feed(std::string_view(&c, 1));
  }
  Read out{r.outcome(), "", n};
  if (r.outcome() == DataOutcome::ok) out.message = r.take_message();
  return out;
}

TEST(DataReader, SimpleMessageAndTrailingBytesLeftAlone) {
  const std::string wire = "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  auto r = read_all(wire);
  EXPECT_EQ(r.outcome, DataOutcome::ok);
  EXPECT_EQ(r.message, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(r.consumed, wire.size() - 6);
}

TEST(DataReader, EmptyMessageRightAfter354) {
  auto r = read_all(".\r\n");
  EXPECT_EQ(r.outcome, DataOutcome::ok);
  EXPECT_EQ(r.message, "");
  EXPECT_EQ(r.consumed, 3u);
}

TEST(DataReader, NotDoneWithoutTheEnd) {
  DataReader r(limits());
  EXPECT_EQ(r.feed("a\r\n.\r"), 5u);
  EXPECT_FALSE(r.done());
  EXPECT_EQ(r.outcome(), DataOutcome::reading);
  EXPECT_EQ(r.feed("\n"), 1u);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.take_message(), "a\r\n");
}

TEST(DataReader, DotUnstuffing) {
  auto r = read_all("..\r\n...x\r\n.y\r\nz.\r\n.\r\n");
  EXPECT_EQ(r.outcome, DataOutcome::ok);
  EXPECT_EQ(r.message, ".\r\n..x\r\ny\r\nz.\r\n");
}

TEST(DataReader, BareLfOrCrNeverEndsTheMessage) {
  for (std::string wire : {"a\n.\nb\r\n.\r\n", "a\r\n.\nb\r\n.\r\n", "a\n.\r\nb\r\n.\r\n",
                           "a\r.\rb\r\n.\r\n", "a\r\n.\rb\r\n.\r\n", "a\r\n.\r\r\n.\r\n"}) {
    auto r = read_all(wire);
    EXPECT_EQ(r.outcome, DataOutcome::bare_cr_lf) << testing::PrintToString(wire);
    EXPECT_EQ(r.consumed, wire.size()) << "the real end is CRLF.CRLF";
  }
}

TEST(DataReader, BareCrOrLfInsideALineIsRefused) {
  EXPECT_EQ(read_all("a\nb\r\n.\r\n").outcome, DataOutcome::bare_cr_lf);
  EXPECT_EQ(read_all("a\rb\r\n.\r\n").outcome, DataOutcome::bare_cr_lf);
  EXPECT_EQ(read_all("ab\r\r\n.\r\n").outcome, DataOutcome::bare_cr_lf);
  EXPECT_EQ(read_all("\n\r\n.\r\n").outcome, DataOutcome::bare_cr_lf);
  EXPECT_EQ(read_all(".\n\r\n.\r\n").outcome, DataOutcome::bare_cr_lf);
}

TEST(DataReader, NulPassesThrough) {
  auto r = read_all(std::string("a\0b\r\n.\r\n", 8));
  EXPECT_EQ(r.outcome, DataOutcome::ok);
  EXPECT_EQ(r.message, std::string("a\0b\r\n", 5));
}

// A line of `total` octets on the wire, CRLF included.
std::string text_line(size_t total, char fill = 'x') { return std::string(total - 2, fill) + "\r\n"; }

TEST(DataReader, TextLineLimit999_1000_1001) {
  EXPECT_EQ(read_all(text_line(999) + ".\r\n").outcome, DataOutcome::ok);
  EXPECT_EQ(read_all(text_line(1000) + ".\r\n").outcome, DataOutcome::ok);
  auto r = read_all(text_line(1001) + "next\r\n.\r\n");
  EXPECT_EQ(r.outcome, DataOutcome::line_too_long);
  EXPECT_EQ(r.consumed, 1001u + 6 + 3);
}

TEST(DataReader, TextLineLimitExcludesTheStuffingDot) {
  // RFC 5321 §4.5.3.1.6: 1000 octets including CRLF, "not counting the leading dot duplicated
  // for transparency". A stuffed line of 999/1000 octets is 1000/1001 on the wire: both fine.
  for (auto read : {read_all, read_bytewise}) {
    auto r999 = read("." + text_line(999, '.') + ".\r\n", limits());
    EXPECT_EQ(r999.outcome, DataOutcome::ok);
    EXPECT_EQ(r999.message, text_line(999, '.'));
    auto r1000 = read("." + text_line(1000, '.') + ".\r\n", limits());
    EXPECT_EQ(r1000.outcome, DataOutcome::ok);
    EXPECT_EQ(r1000.message, text_line(1000, '.'));
    // 1001 octets after unstuffing (1002 on the wire): too long, read to the real end.
    auto r1001 = read("." + text_line(1001, '.') + "after\r\n.\r\n", limits());
    EXPECT_EQ(r1001.outcome, DataOutcome::line_too_long);
    EXPECT_EQ(r1001.consumed, 1u + 1001 + 7 + 3);
  }
}

TEST(DataReader, TextLineLimitWithoutStuffingBytewise) {
  EXPECT_EQ(read_bytewise(text_line(999) + ".\r\n").outcome, DataOutcome::ok);
  EXPECT_EQ(read_bytewise(text_line(1000) + ".\r\n").outcome, DataOutcome::ok);
  EXPECT_EQ(read_bytewise(text_line(1001) + ".\r\n").outcome, DataOutcome::line_too_long);
}

TEST(DataReader, TextLineLimitFollowsTheConfiguredValue) {
  // A larger [server] max_text_line moves the boundary with it.
  EXPECT_EQ(read_all("." + text_line(2000, '.') + ".\r\n", limits(2000)).outcome, DataOutcome::ok);
  EXPECT_EQ(read_all("." + text_line(2001, '.') + ".\r\n", limits(2000)).outcome,
            DataOutcome::line_too_long);
}

TEST(DataReader, MessageSizeLimitNMinus1NNPlus1) {
  // max 100 octets: 98 + CRLF = 100.
  const DataLimits l = limits(1000, 100);
  auto at = read_all(text_line(100) + ".\r\n", l);
  EXPECT_EQ(at.outcome, DataOutcome::ok);
  EXPECT_EQ(at.message.size(), 100u);
  EXPECT_EQ(read_all(text_line(99) + ".\r\n", l).outcome, DataOutcome::ok);
  auto over = read_all(text_line(101) + ".\r\n", l);
  EXPECT_EQ(over.outcome, DataOutcome::too_big);
  EXPECT_EQ(over.consumed, 101u + 3);
}

TEST(DataReader, SizeCountsUnstuffedOctets) {
  // 100 octets unstuffed, 101 on the wire: accepted.
  const DataLimits l = limits(1000, 100);
  auto r = read_all("." + text_line(100, '.') + ".\r\n", l);
  EXPECT_EQ(r.outcome, DataOutcome::ok);
  EXPECT_EQ(r.message.size(), 100u);
}

TEST(DataReader, OversizedMessageIsReadToTheEndWithBoundedMemory) {
  DataReader r(limits(1000, 1000));
  const std::string line = text_line(1000);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(r.feed(line), line.size());
  EXPECT_FALSE(r.done());
  EXPECT_EQ(r.size(), 2000u * 1000);
  EXPECT_EQ(r.feed(".\r\n"), 3u);
  EXPECT_EQ(r.outcome(), DataOutcome::too_big);
  EXPECT_TRUE(r.take_message().empty());
}

TEST(DataReader, BytewiseEqualsWhole) {
  for (std::string wire : {std::string("Subject: x\r\n\r\n..dot\r\n.\r\nX"), std::string(".\r\n"),
                           std::string("a\n.\r\n.\r\n"), text_line(1001) + ".\r\n",
                           std::string("a\r\r\n.\r\n")}) {
    auto a = read_all(wire);
    auto b = read_bytewise(wire);
    EXPECT_EQ(a.outcome, b.outcome) << testing::PrintToString(wire);
    EXPECT_EQ(a.message, b.message);
    EXPECT_EQ(a.consumed, b.consumed);
  }
}

TEST(DataReader, ErrorRanking) {
  // Bare LF beats an over-long line and an oversized message.
  auto r = read_all(text_line(2000) + "a\nb\r\n.\r\n", limits(1000, 100));
  EXPECT_EQ(r.outcome, DataOutcome::bare_cr_lf);
  auto s = read_all(text_line(2000) + ".\r\n", limits(1000, 100));
  EXPECT_EQ(s.outcome, DataOutcome::line_too_long);
}

}  // namespace
}  // namespace hikyaku::smtpd
