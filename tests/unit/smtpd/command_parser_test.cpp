// Command-line framing and parsing: verbs, MAIL/RCPT arguments, ESMTP parameters, and the
// 512-octet line limit at N-1, N, N+1. RFC 5321 §4.1.1, §4.1.2, §4.5.3.1.4; RFC 1870; RFC 6531.
#include <gtest/gtest.h>

#include <string>

#include "smtpd/command_parser.hpp"
#include "smtpd/line_reader.hpp"

namespace hikyaku::smtpd {
namespace {

TEST(SmtpdCommandParser, VerbsAreCaseInsensitive) {
  EXPECT_EQ(parse_command("ehlo x").verb, Verb::ehlo);
  EXPECT_EQ(parse_command("EhLo x").verb, Verb::ehlo);
  EXPECT_EQ(parse_command("StartTLS").verb, Verb::starttls);
  EXPECT_EQ(parse_command("quit").verb, Verb::quit);
  EXPECT_EQ(parse_command("BDAT 10 LAST").verb, Verb::unknown);
  EXPECT_EQ(parse_command("MAILFROM:<a@b>").verb, Verb::unknown);
  EXPECT_EQ(parse_command("").verb, Verb::unknown);
  EXPECT_EQ(parse_command(" NOOP").verb, Verb::unknown);
}

TEST(SmtpdCommandParser, ArgumentFollowsTheFirstSpaceAndLosesTrailingSpaces) {
  EXPECT_EQ(parse_command("EHLO client.test").arg, "client.test");
  EXPECT_EQ(parse_command("EHLO  client.test  ").arg, " client.test");
  EXPECT_EQ(parse_command("DATA ").arg, "");
  EXPECT_EQ(parse_command("DATA").arg, "");
}

TEST(SmtpdCommandParser, ForbiddenOctets) {
  EXPECT_FALSE(has_forbidden_octet("NOOP"));
  EXPECT_TRUE(has_forbidden_octet("NOOP\nQUIT"));
  EXPECT_TRUE(has_forbidden_octet("NOOP\r"));
  EXPECT_TRUE(has_forbidden_octet(std::string("NO\0OP", 5)));
}

TEST(SmtpdPathArgument, SplitsPathAndParameters) {
  auto r = split_path_argument("FROM:<a@b.test> SIZE=10 BODY=8BITMIME", "FROM:");
  ASSERT_TRUE(r.value);
  EXPECT_EQ(r.value->path, "<a@b.test>");
  ASSERT_EQ(r.value->params.size(), 2u);
  EXPECT_EQ(r.value->params[0], "SIZE=10");
  EXPECT_EQ(r.value->params[1], "BODY=8BITMIME");
}

TEST(SmtpdPathArgument, KeywordIsCaseInsensitiveAndASpaceAfterTheColonIsAccepted) {
  auto r = split_path_argument("from: <a@b.test>", "FROM:");
  ASSERT_TRUE(r.value);
  EXPECT_EQ(r.value->path, "<a@b.test>");
  EXPECT_TRUE(r.value->params.empty());
}

TEST(SmtpdPathArgument, QuotedAngleBracketDoesNotEndThePath) {
  auto r = split_path_argument("TO:<\"a>b\"@c.test> X", "TO:");
  ASSERT_TRUE(r.value);
  EXPECT_EQ(r.value->path, "<\"a>b\"@c.test>");
  ASSERT_EQ(r.value->params.size(), 1u);
}

TEST(SmtpdPathArgument, Errors) {
  EXPECT_EQ(split_path_argument("<a@b>", "FROM:").error, PathArgumentError::syntax);
  EXPECT_EQ(split_path_argument("FROM:", "FROM:").error, PathArgumentError::syntax);
  EXPECT_EQ(split_path_argument("TO:<a@b>", "FROM:").error, PathArgumentError::syntax);
  EXPECT_EQ(split_path_argument("FROM:a@b", "FROM:").error, PathArgumentError::bad_path);
  EXPECT_EQ(split_path_argument("FROM:<a@b", "FROM:").error, PathArgumentError::bad_path);
  EXPECT_EQ(split_path_argument("FROM:<a@b>X", "FROM:").error, PathArgumentError::bad_path);
  EXPECT_FALSE(split_path_argument("FROM:<a@b>X", "FROM:").value);
}

TEST(SmtpdMailParameters, Accepted) {
  auto p = parse_mail_parameters({"size=1000", "Body=8bitmime", "SMTPUTF8"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->size, 1000u);
  EXPECT_EQ(p->body, core::BodyType::eight_bit_mime);
  EXPECT_TRUE(p->smtputf8);
  auto q = parse_mail_parameters({"BODY=7BIT"});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->body, core::BodyType::seven_bit);
  EXPECT_FALSE(q->size);
  EXPECT_FALSE(q->smtputf8);
}

TEST(SmtpdMailParameters, SizeSaturatesAtTwentyDigits) {
  auto p = parse_mail_parameters({"SIZE=99999999999999999999"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->size, UINT64_MAX);
  EXPECT_FALSE(parse_mail_parameters({"SIZE=999999999999999999999"}));  // 21 digits
}

TEST(SmtpdMailParameters, Refused) {
  EXPECT_FALSE(parse_mail_parameters({"SIZE"}));
  EXPECT_FALSE(parse_mail_parameters({"SIZE="}));
  EXPECT_FALSE(parse_mail_parameters({"SIZE=-1"}));
  EXPECT_FALSE(parse_mail_parameters({"SIZE=1x"}));
  EXPECT_FALSE(parse_mail_parameters({"SIZE=1", "SIZE=2"}));
  EXPECT_FALSE(parse_mail_parameters({"BODY=BINARYMIME"}));
  EXPECT_FALSE(parse_mail_parameters({"BODY"}));
  EXPECT_FALSE(parse_mail_parameters({"SMTPUTF8=yes"}));
  EXPECT_FALSE(parse_mail_parameters({"AUTH=<>"}));
  EXPECT_FALSE(parse_mail_parameters({"RET=FULL"}));
  EXPECT_FALSE(parse_mail_parameters({"=1"}));
}

// --- LineReader ---

TEST(SmtpdLineReader, LineEndsOnlyAtCrlf) {
  LineReader r(512);
  auto ev = r.next("NOOP\nQUIT\r\nRSET\r\n");
  ASSERT_EQ(ev.kind, LineEvent::Kind::line);
  EXPECT_EQ(ev.line, "NOOP\nQUIT");
  EXPECT_EQ(ev.consumed, 11u);
  EXPECT_EQ(r.next("NOOP\r").kind, LineEvent::Kind::need_more);
  EXPECT_EQ(r.next("NOOP\r").consumed, 0u);
}

std::string line_of(size_t total) {  // `total` octets including CRLF
  return std::string(total - 2, 'X') + "\r\n";
}

TEST(SmtpdLineReader, LimitAtNMinus1NAndNPlus1) {
  for (size_t total : {511u, 512u}) {
    LineReader r(512);
    auto ev = r.next(line_of(total));
    EXPECT_EQ(ev.kind, LineEvent::Kind::line) << total;
    EXPECT_EQ(ev.line.size(), total - 2);
  }
  LineReader r(512);
  auto ev = r.next(line_of(513));
  EXPECT_EQ(ev.kind, LineEvent::Kind::too_long);
  EXPECT_EQ(ev.consumed, 513u);
}

TEST(SmtpdLineReader, OverlongLineIsDiscardedAsItArrives) {
  LineReader r(512);
  const std::string chunk(511, 'X');  // with CRLF this is at least 513
  auto ev = r.next(chunk);
  EXPECT_EQ(ev.kind, LineEvent::Kind::need_more);
  EXPECT_EQ(ev.consumed, 511u);  // nothing kept
  for (int i = 0; i < 100; ++i) EXPECT_EQ(r.next(chunk).consumed, 511u);
  ev = r.next("tail\r\nNOOP\r\n");
  EXPECT_EQ(ev.kind, LineEvent::Kind::too_long);
  EXPECT_EQ(ev.consumed, 6u);
  ev = r.next("NOOP\r\n");
  EXPECT_EQ(ev.kind, LineEvent::Kind::line);
  EXPECT_EQ(ev.line, "NOOP");
}

TEST(SmtpdLineReader, PartialLineOfExactlyTheLimitIsKeptUntilItsLf) {
  LineReader r(512);
  const std::string part = std::string(510, 'X') + "\r";  // 511 octets: could end at 512
  EXPECT_EQ(r.next(part).consumed, 0u);
  auto ev = r.next(part + "\n");
  EXPECT_EQ(ev.kind, LineEvent::Kind::line);
  const std::string over(511, 'X');  // 511 octets without CR: will be at least 513
  EXPECT_EQ(r.next(over).consumed, 511u);
}

TEST(SmtpdLineReader, CrAtTheEndOfADiscardedChunkPairsWithLfInTheNext) {
  LineReader r(512);
  EXPECT_EQ(r.next(std::string(600, 'X') + "\r").consumed, 601u);
  auto ev = r.next("\nNOOP\r\n");
  EXPECT_EQ(ev.kind, LineEvent::Kind::too_long);
  EXPECT_EQ(ev.consumed, 1u);
}

}  // namespace
}  // namespace hikyaku::smtpd
