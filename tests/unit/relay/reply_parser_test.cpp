// ReplyParser: RFC 5321 §4.2 reply syntax (multiline assembly, one code per reply, line length
// at its exact limit), RFC 2034/3463 enhanced codes, and malformed input refused as an error.
#include "relay/reply_parser.hpp"

#include <gtest/gtest.h>

namespace hikyaku::relay {
namespace {

using core::SmtpReply;

// Feeds `input` and returns everything the parser yields.
std::vector<ParsedReply> parse_all(std::string_view input, ReplyParser p = ReplyParser()) {
  p.feed(input);
  std::vector<ParsedReply> out;
  while (auto r = p.next()) {
    const bool error = std::holds_alternative<ReplyError>(*r);
    out.push_back(std::move(*r));
    if (error) break;
  }
  return out;
}

const SmtpReply& reply_at(const std::vector<ParsedReply>& v, size_t i) {
  return std::get<SmtpReply>(v.at(i));
}

TEST(ReplyParser, SingleLineWithEnhancedCode) {
  auto v = parse_all("250 2.1.5 Recipient ok\r\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(reply_at(v, 0).code, 250);
  EXPECT_EQ(reply_at(v, 0).enhanced, "2.1.5");
  EXPECT_EQ(reply_at(v, 0).lines, std::vector<std::string>{"Recipient ok"});
}

TEST(ReplyParser, CodeOnlyAndNoEnhanced) {
  auto v = parse_all("250\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(reply_at(v, 0).code, 250);
  EXPECT_EQ(reply_at(v, 0).lines, std::vector<std::string>{""});
  EXPECT_EQ(reply_at(v, 1).code, 354);
  EXPECT_EQ(reply_at(v, 1).enhanced, "");
}

TEST(ReplyParser, MultilineAssembledWithEnhancedCodeOnEveryLine) {
  auto v = parse_all("550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n221 bye\r\n");
  ASSERT_EQ(v.size(), 2u);
  const auto& r = reply_at(v, 0);
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.enhanced, "5.7.1");
  EXPECT_EQ(r.lines, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(r.render(), "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n");
  EXPECT_EQ(reply_at(v, 1).code, 221);
}

TEST(ReplyParser, EhloReplyKeepsKeywordLines) {
  auto v = parse_all("250-mx.example Hello\r\n250-SIZE 1000\r\n250 PIPELINING\r\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(reply_at(v, 0).lines,
            (std::vector<std::string>{"mx.example Hello", "SIZE 1000", "PIPELINING"}));
}

TEST(ReplyParser, ByteByByteFeedingGivesTheSameReply) {
  const std::string input = "250-a\r\n250-b\r\n250 c\r\n";
  ReplyParser p;
  std::vector<SmtpReply> got;
  for (char c : input) {
    p.feed(std::string_view(&c, 1));
    while (auto r = p.next()) got.push_back(std::get<SmtpReply>(*r));
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].lines, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(ReplyParser, BareLfIsToleratedFromServers) {
  auto v = parse_all("250-a\n250 b\n");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(reply_at(v, 0).lines, (std::vector<std::string>{"a", "b"}));
}

TEST(ReplyParser, IncompleteReplyWaits) {
  ReplyParser p;
  p.feed("250-first\r\n250 sec");
  EXPECT_FALSE(p.next().has_value());
  p.feed("ond\r\n");
  auto r = p.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<SmtpReply>(*r).lines.back(), "second");
}

struct MalformedCase {
  const char* name;
  const char* input;
};

TEST(ReplyParser, MalformedRepliesAreErrors) {
  const MalformedCase cases[] = {
      {"letters", "abc hello\r\n"},           {"two_digits", "25\r\n"},
      {"first_digit_1", "150 hi\r\n"},        {"first_digit_6", "650 hi\r\n"},
      {"second_digit_6", "260 hi\r\n"},       {"bad_separator", "250xhello\r\n"},
      {"code_changes", "250-a\r\n251 b\r\n"}, {"empty_line", "\r\n"},
      {"cr_inside", "250 a\rb\r\n"},
  };
  for (const auto& c : cases) {
    auto v = parse_all(c.input);
    ASSERT_FALSE(v.empty()) << c.name;
    EXPECT_TRUE(std::holds_alternative<ReplyError>(v.back())) << c.name;
  }
  // NUL inside, built explicitly (a C string would stop at it).
  auto v = parse_all(std::string("250 a\0b\r\n", 9));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ReplyError>(v[0]));
}

TEST(ReplyParser, LineLengthAtItsExactLimit) {
  const size_t limit = 64;
  auto line_of = [](size_t total) { return "250 " + std::string(total - 6, 'x') + "\r\n"; };
  ASSERT_EQ(line_of(limit).size(), limit);
  EXPECT_TRUE(
      std::holds_alternative<SmtpReply>(parse_all(line_of(limit - 1), ReplyParser(limit)).at(0)));
  EXPECT_TRUE(
      std::holds_alternative<SmtpReply>(parse_all(line_of(limit), ReplyParser(limit)).at(0)));
  EXPECT_TRUE(
      std::holds_alternative<ReplyError>(parse_all(line_of(limit + 1), ReplyParser(limit)).at(0)));
  // Without its LF yet: an over-long partial line is refused at once, not buffered forever.
  ReplyParser p(limit);
  p.feed(std::string(limit, 'x').insert(0, "250 "));
  auto r = p.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::holds_alternative<ReplyError>(*r));
}

TEST(ReplyParser, DefaultLimitToleratesLongLines) {
  const std::string long_line = "550 5.7.1 " + std::string(1500, 'u') + "\r\n";
  auto v = parse_all(long_line);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<SmtpReply>(v[0]));
}

TEST(ReplyParser, TooManyLines) {
  std::string ok, bad;
  for (int i = 0; i < 3; ++i) ok += "250-x\r\n";
  ok += "250 end\r\n";
  bad = "250-x\r\n" + ok;
  EXPECT_TRUE(std::holds_alternative<SmtpReply>(parse_all(ok, ReplyParser(512, 4)).at(0)));
  EXPECT_TRUE(std::holds_alternative<ReplyError>(parse_all(bad, ReplyParser(512, 4)).at(0)));
}

TEST(ReplyParser, ErrorIsSticky) {
  ReplyParser p;
  p.feed("xyz\r\n");
  ASSERT_TRUE(std::holds_alternative<ReplyError>(*p.next()));
  p.feed("250 fine\r\n");
  auto r = p.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(std::holds_alternative<ReplyError>(*r));
}

TEST(ReplyParser, DiscardDropsBufferedBytesAndPartialReply) {
  ReplyParser p;
  p.feed("250-partial\r\n250 injected\r\n");
  p.discard();
  EXPECT_EQ(p.buffered(), 0u);
  EXPECT_FALSE(p.next().has_value());
  p.feed("220 after\r\n");
  auto r = p.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<SmtpReply>(*r).lines, std::vector<std::string>{"after"});
}

struct EnhancedCase {
  const char* text;
  char klass;
  const char* code;
  const char* rest;
};

TEST(EnhancedCode, Extraction) {
  const EnhancedCase cases[] = {
      {"2.1.5 ok", '2', "2.1.5", "ok"},
      {"5.7.1", '5', "5.7.1", ""},
      {"4.7.26 greylisted", '4', "4.7.26", "greylisted"},
      {"5.100.999 x", '5', "5.100.999", "x"},
      {"5.1.1 x", '2', "", "5.1.1 x"},        // class must match the reply's first digit
      {"5.1000.1 x", '5', "", "5.1000.1 x"},  // subject of four digits
      {"5.1.1x", '5', "", "5.1.1x"},          // no space after
      {"3.0.0 x", '3', "", "3.0.0 x"},        // class 3 does not exist
      {"5..1 x", '5', "", "5..1 x"},
      {"hello", '2', "", "hello"},
  };
  for (const auto& c : cases) {
    std::string_view text = c.text;
    EXPECT_EQ(take_enhanced_code(text, c.klass), c.code) << c.text;
    EXPECT_EQ(text, c.rest) << c.text;
  }
}

TEST(EnhancedCode, OnlyStrippedFromLaterLinesWhenEqual) {
  auto v = parse_all("250-2.0.0 first\r\n250 2.1.0 other\r\n");
  const auto& r = reply_at(v, 0);
  EXPECT_EQ(r.enhanced, "2.0.0");
  EXPECT_EQ(r.lines, (std::vector<std::string>{"first", "2.1.0 other"}));
}

}  // namespace
}  // namespace hikyaku::relay
