// SmtpReply's wire form: multiline replies (RFC 5321 §4.2.1), the enhanced code on every line
// (RFC 2034 §4), no line over 512 octets (§4.5.3.1.5), no CR/LF/NUL from the text.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/smtp_reply.hpp"

namespace hikyaku::core {
namespace {

std::vector<std::string> wire_lines(const std::string& wire) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < wire.size()) {
    const size_t eol = wire.find("\r\n", pos);
    EXPECT_NE(eol, std::string::npos) << "unterminated line";
    if (eol == std::string::npos) break;
    out.push_back(wire.substr(pos, eol + 2 - pos));
    pos = eol + 2;
  }
  return out;
}

// Every line at most 512 octets with CRLF, "CODE-" on all but the last, "CODE " on it, and the
// enhanced code after it; the texts joined back give `text` (a break eats at most one space).
void expect_well_formed(const SmtpReply& r, const std::string& text) {
  const auto lines = wire_lines(r.render());
  ASSERT_FALSE(lines.empty());
  std::string joined;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    EXPECT_LE(l.size(), kMaxReplyLine) << "line " << i;
    const std::string head = std::to_string(r.code) + (i + 1 == lines.size() ? " " : "-");
    ASSERT_EQ(l.substr(0, 4), head) << l;
    std::string rest = l.substr(4, l.size() - 6);
    if (!r.enhanced.empty()) {
      ASSERT_EQ(rest.substr(0, r.enhanced.size() + 1), r.enhanced + " ") << l;
      rest = rest.substr(r.enhanced.size() + 1);
    }
    EXPECT_EQ(rest.find_first_of("\r\n"), std::string::npos);
    if (i > 0 && joined.size() < text.size() && text[joined.size()] == ' ') joined += ' ';
    joined += rest;
  }
  EXPECT_EQ(joined, text);
}

TEST(SmtpReply, ShortReplyIsOneLine) {
  EXPECT_EQ(SmtpReply::make(250, "2.0.0", "Ok").render(), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(SmtpReply::make(354, "", "Go ahead").render(), "354 Go ahead\r\n");
}

TEST(SmtpReply, MultilineKeepsTheEnhancedCodeOnEveryLine) {
  SmtpReply r;
  r.code = 550;
  r.enhanced = "5.1.1";
  r.lines = {"first", "second"};
  EXPECT_EQ(r.render(), "550-5.1.1 first\r\n550 5.1.1 second\r\n");
}

TEST(SmtpReply, LineAtTheLimit511_512_513) {
  // "250 2.0.0 " is 10 octets and CRLF 2: a text of 500 makes a line of exactly 512.
  for (size_t total : {511u, 512u, 513u}) {
    const std::string text(total - 12, 'x');
    const auto r = SmtpReply::make(250, "2.0.0", text);
    const auto lines = wire_lines(r.render());
    EXPECT_EQ(lines.size(), total <= 512 ? 1u : 2u) << total;
    expect_well_formed(r, text);
  }
  // Without an enhanced code the room is 506 octets of text.
  for (size_t total : {512u, 513u}) {
    const std::string text(total - 6, 'y');
    EXPECT_EQ(wire_lines(SmtpReply::make(220, "", text).render()).size(), total <= 512 ? 1u : 2u);
  }
}

TEST(SmtpReply, LongUpstreamTextIsWrappedAtSpaces) {
  std::string text = "mx.example said: 550 5.7.1";
  for (int i = 0; text.size() < 3000; ++i) text += " word" + std::to_string(i);
  const auto r = SmtpReply::make(550, "5.7.1", text);
  expect_well_formed(r, text);
  const auto lines = wire_lines(r.render());
  EXPECT_GE(lines.size(), 6u);
  // Broken only at spaces: the lines joined with one space each give the text back.
  std::string spaced;
  for (const auto& l : lines) spaced += (spaced.empty() ? "" : " ") + l.substr(10, l.size() - 12);
  EXPECT_EQ(spaced, text);
}

TEST(SmtpReply, LongTextWithoutSpacesIsCutHard) {
  const std::string text(2001, 'z');
  const auto r = SmtpReply::make(451, "4.4.0", text);
  expect_well_formed(r, text);
  EXPECT_EQ(wire_lines(r.render()).size(), 5u);  // 500 octets of text a line, then 1
}

TEST(SmtpReply, EveryLineOfAMultilineReplyIsWrappedOnItsOwn) {
  SmtpReply r;
  r.code = 250;
  r.lines = {std::string(600, 'a'), "short", std::string(1200, 'b')};
  const auto lines = wire_lines(r.render());
  ASSERT_EQ(lines.size(), 6u);  // 508 = 4 + 506 + 2: 600 → 2, 1 → 1, 1200 → 3
  for (const auto& l : lines) EXPECT_LE(l.size(), kMaxReplyLine);
  EXPECT_EQ(lines[2], "250-short\r\n");
  EXPECT_EQ(lines[5].substr(0, 4), "250 ");
}

TEST(SmtpReply, ControlOctetsNeverInjectALine) {
  const auto r = SmtpReply::make(250, "2.0.0", std::string("a\r\n250 injected\0x", 17));
  EXPECT_EQ(r.render(), std::string("250 2.0.0 a  250 injected x\r\n"));
}

}  // namespace
}  // namespace hikyaku::core
