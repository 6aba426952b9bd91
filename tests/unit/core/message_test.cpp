// Unit tests for core/message: the RFC 5322 §2.1-2.2 header index (fields, folding, the empty
// line, where the body starts when the header section is malformed) and its bounds.
#include "core/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hikyaku::core {
namespace {

// "name=value|name=value#body" — one comparable summary of the index.
std::string summary(const Message& m) {
  std::string out;
  for (const auto& f : m.fields()) {
    if (!out.empty()) out += '|';
    out += std::string(m.field_name(f)) + "=" + std::string(m.field_value(f));
  }
  return out + "#" + std::string(m.body());
}

TEST(MessageIndex, Table) {
  struct Case {
    std::string raw;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "#"},
      {"\r\n", "#"},
      {"\r\nbody\r\n", "#body\r\n"},
      {"A: 1\r\n\r\nbody\r\n", "A= 1#body\r\n"},
      {"A: 1\r\nB:2\r\n\r\n", "A= 1|B=2#"},
      {"Subject: a\r\n b\r\n\tc\r\nX: y\r\n\r\nz", "Subject= a\r\n b\r\n\tc|X= y#z"},
      {"A:\r\n\r\n", "A=#"},
      {"Subject : old style\r\n\r\nb", "Subject= old style#b"},  // RFC 5322 §4.5.3
      {"A: 1\r\nB: 2", "A= 1|B= 2#"},                            // no empty line: all header
      {"A: 1\r\nB: 2\r\n", "A= 1|B= 2#"},
      {"A: 1\r\n folded at end\r\n", "A= 1\r\n folded at end#"},
      {"A: 1\r\n ", "A= 1\r\n #"},
      // A line that is not "name:" ends the header section and starts the body.
      {"A: 1\r\nnot a header\r\nB: 2\r\n\r\nx", "A= 1#not a header\r\nB: 2\r\n\r\nx"},
      {"From user@example.com Sat\r\nA: 1\r\n", "#From user@example.com Sat\r\nA: 1\r\n"},
      {" leading continuation\r\n\r\n", "# leading continuation\r\n\r\n"},
      {":novalue\r\n\r\n", "#:novalue\r\n\r\n"},
      {"A\r\n\r\n", "#A\r\n\r\n"},
      {"A: 1\r\nB\xc3\xbc: 2\r\n\r\n", "A= 1#B\xc3\xbc: 2\r\n\r\n"},
      // Lines end only at CRLF: bare LF and bare CR stay inside the field.
      {"A: 1\nB: 2\r\n\r\nx", "A= 1\nB: 2#x"},
      {"A: 1\rB: 2\r\n\r\nx", "A= 1\rB: 2#x"},
      {"A: 1\r\n\nB: 2\r\n", "A= 1#\nB: 2\r\n"},
      {"A: 1\r\n\r\n\r\nB: 2\r\n", "A= 1#\r\nB: 2\r\n"},
      {std::string("A: \0\r\n\r\n", 8), std::string("A= \0#", 5)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.raw));
    const Message m(c.raw);
    EXPECT_EQ(summary(m), c.expected);
    EXPECT_EQ(m.raw(), c.raw);
    EXPECT_EQ(m.size(), c.raw.size());
  }
}

TEST(MessageIndex, OffsetsAndBlocks) {
  const std::string raw = "From: a@example.com\r\nSubject: hi\r\n there\r\n\r\nHello\r\n";
  const Message m(raw);
  ASSERT_EQ(m.fields().size(), 2u);
  const auto& from = m.fields()[0];
  const auto& subject = m.fields()[1];
  EXPECT_EQ(from.offset, 0u);
  EXPECT_EQ(from.length, 21u);
  EXPECT_EQ(from.name_length, 4u);
  EXPECT_EQ(subject.offset, 21u);
  EXPECT_EQ(subject.length, 21u);
  EXPECT_EQ(m.field_text(from), "From: a@example.com");
  EXPECT_EQ(m.field_text(subject), "Subject: hi\r\n there");
  EXPECT_EQ(m.field_value(subject), " hi\r\n there");
  EXPECT_EQ(m.body_offset(), 44u);
  EXPECT_EQ(m.body(), "Hello\r\n");
  EXPECT_EQ(m.header_block(), "From: a@example.com\r\nSubject: hi\r\n there\r\n");
}

TEST(MessageIndex, BodyOffsetIsSizeWithoutBody) {
  for (const std::string raw : {"A: 1\r\n", "A: 1", "", "A: 1\r\n\r\n"}) {
    SCOPED_TRACE(raw);
    const Message m(raw);
    EXPECT_EQ(m.body_offset(), m.size());
    EXPECT_TRUE(m.body().empty());
  }
  const Message empty;
  EXPECT_EQ(empty.body_offset(), 0u);
  EXPECT_TRUE(empty.fields().empty());
  EXPECT_TRUE(empty.header_block().empty());
}

TEST(MessageFind, CaseInsensitiveInOrder) {
  const Message m("Received: one\r\nSubject: s\r\nRECEIVED: two\r\nreceived : three\r\n\r\n");
  const auto r = m.find("received");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(m.field_value(*r[0]), " one");
  EXPECT_EQ(m.field_value(*r[1]), " two");
  EXPECT_EQ(m.field_value(*r[2]), " three");
  EXPECT_EQ(m.find("SUBJECT").size(), 1u);
  EXPECT_TRUE(m.find("Subjec").empty());
  EXPECT_TRUE(m.find("Subject2").empty());
  EXPECT_TRUE(m.find("").empty());
}

// A HeaderField that does not belong to the message must not make an accessor read outside it.
TEST(MessageBounds, ForeignFieldsAreClamped) {
  const Message m("A: 1\r\n\r\n");
  const HeaderField past{100, 10, 3};
  EXPECT_TRUE(m.field_name(past).empty());
  EXPECT_TRUE(m.field_text(past).empty());
  EXPECT_TRUE(m.field_value(past).empty());
  const HeaderField overlong{0, 1000, 1000};
  EXPECT_EQ(m.field_text(overlong), "A: 1\r\n");
  EXPECT_EQ(m.field_name(overlong), "A: 1\r\n\r\n");
  EXPECT_TRUE(m.field_value(overlong).empty());
}

// Every prefix of a message gives a consistent index (truncation at every offset).
TEST(MessageBounds, EveryPrefixIsConsistent) {
  const std::string raw =
      "Received: from x\r\n\tby y\r\nSubject : z\r\nX-A: \xc3\xbc\r\n\r\nbody\r\n.\r\n";
  for (size_t n = 0; n <= raw.size(); ++n) {
    SCOPED_TRACE(n);
    const Message m(raw.substr(0, n));
    size_t expected_offset = 0;
    for (const auto& f : m.fields()) {
      EXPECT_EQ(f.offset, expected_offset);
      ASSERT_LE(f.offset + f.length, m.size());
      EXPECT_GT(f.name_length, 0u);
      EXPECT_LT(f.name_length, f.length);
      expected_offset = f.offset + f.length;
    }
    EXPECT_LE(expected_offset, m.body_offset());
    EXPECT_LE(m.body_offset(), m.size());
    EXPECT_EQ(m.header_block().size(), expected_offset);
  }
}

}  // namespace
TEST(MessagePrepend, FieldsGoFirstAndTheBufferIsReused) {
  std::string raw;
  raw.reserve(1024);
  raw = "From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n";
  const char* buffer = raw.data();
  Message m(std::move(raw));
  Message p = std::move(m).prepend("X-A: 1\r\nX-B: 2\r\n");
  EXPECT_EQ(p.raw(), "X-A: 1\r\nX-B: 2\r\nFrom: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(p.raw().data(), buffer);  // no copy: the capacity had room
  ASSERT_EQ(p.fields().size(), 4u);
  EXPECT_EQ(p.field_name(p.fields()[0]), "X-A");
  EXPECT_EQ(p.field_value(p.fields()[3]), " hi");
  EXPECT_EQ(p.body(), "body\r\n");
}

}  // namespace hikyaku::core
