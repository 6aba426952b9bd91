// ServerProtocol driven with bytes: greeting, EHLO/HELO, every command's replies, command order,
// MAIL/RCPT arguments, DATA and the envelope. RFC 5321 §3.3, §4.1.1, §4.1.4, §4.2; RFC 1870;
// RFC 6152; RFC 6531 §3.4, §3.6.2; RFC 2034.
#include <gtest/gtest.h>

#include "protocol_driver.hpp"

namespace hikyaku::smtpd::test {
namespace {

const std::string kEhloReply =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
    "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n";

TEST(SmtpdServerProtocol, Greeting) {
  Driver d;
  EXPECT_EQ(d.out, "220 mx.test ESMTP Hikyaku\r\n");
  EXPECT_EQ(d.last_timeout, Driver::kCommandTimeout);
}

TEST(SmtpdServerProtocol, EhloAdvertisesExtensions) {
  Driver d;
  EXPECT_EQ(d.feed("EHLO client.test\r\n"), kEhloReply);
  EXPECT_EQ(d.protocol.session().helo, "client.test");
  EXPECT_TRUE(d.protocol.session().esmtp);
}

TEST(SmtpdServerProtocol, EhloWithoutTlsDoesNotOfferStarttls) {
  auto s = test_settings();
  s.tls_available = false;
  s.max_message_size = 26214400;
  Driver d(s);
  EXPECT_EQ(d.feed("ehlo client.test\r\n"),
            "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n250-8BITMIME\r\n"
            "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n");
}

TEST(SmtpdServerProtocol, Helo) {
  Driver d;
  EXPECT_EQ(d.feed("HELO client.test\r\n"), "250 mx.test\r\n");
  EXPECT_EQ(d.protocol.session().helo, "client.test");
  EXPECT_FALSE(d.protocol.session().esmtp);
}

TEST(SmtpdServerProtocol, HeloAndEhloNeedAnArgument) {
  Driver d;
  EXPECT_EQ(d.feed("EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(d.feed("HELO \r\n"), "501 5.5.4 Syntax: HELO hostname\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@b.test>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
}

// RFC 5321 §4.1.1.1: the argument is US-ASCII. 8-bit octets (UTF-8 or not) and control
// octets are refused with 501 5.5.2 and nothing of them is kept; a clean EHLO then works.
TEST(SmtpdServerProtocol, HeloWithEightBitOrControlOctetsIsRefused) {
  const std::string refusal =
      "501 5.5.2 Error: HELO/EHLO argument must be printable US-ASCII (A-labels for an "
      "internationalized name)\r\n";
  const std::vector<std::string> bad = {
      "EHLO b\xc3\xbc" "cher.example\r\n",  // UTF-8 U-label
      "EHLO \xff\xfe\r\n",                // not UTF-8 at all
      "HELO host\x80\r\n",                 // one octet just past ASCII
      "EHLO host\x1b[31m\r\n",             // a terminal escape for whoever reads the log
      "HELO a\tb\r\n",                     // a control octet
      "EHLO host\x7f\r\n",                 // DEL
  };
  for (const auto& line : bad) {
    Driver d;
    EXPECT_EQ(d.feed(line), refusal) << line;
    EXPECT_EQ(d.protocol.session().helo, "") << line;
    EXPECT_EQ(d.feed("MAIL FROM:<a@b.test>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
    EXPECT_EQ(d.feed("EHLO xn--bcher-kva.example\r\n"), kEhloReply);
    EXPECT_EQ(d.protocol.session().helo, "xn--bcher-kva.example");
  }
  // The whole printable range, spaces and address literals included, is taken as it is.
  Driver d;
  std::string printable;
  for (char c = 0x21; c < 0x7f; ++c) printable += c;
  EXPECT_EQ(d.feed("HELO [192.0.2.1] " + printable + "\r\n"), "250 mx.test\r\n");
  EXPECT_EQ(d.protocol.session().helo, "[192.0.2.1] " + printable);
}

TEST(SmtpdServerProtocol, UnknownCommandsAndBdat) {
  Driver d;
  EXPECT_EQ(d.feed("FOO bar\r\n"), "500 5.5.2 Error: command not recognized\r\n");
  EXPECT_EQ(d.feed("BDAT 10 LAST\r\n"), "500 5.5.2 Error: command not recognized\r\n");
  EXPECT_EQ(d.feed("\r\n"), "500 5.5.2 Error: command not recognized\r\n");
  EXPECT_EQ(d.closes, 0);
}

TEST(SmtpdServerProtocol, SimpleCommands) {
  Driver d;
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.feed("NOOP anything at all\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.feed("RSET\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.feed("RSET x\r\n"), "501 5.5.4 Syntax: RSET\r\n");
  EXPECT_EQ(d.feed("VRFY postmaster\r\n"),
            "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n");
  EXPECT_EQ(d.feed("VRFY\r\n"), "501 5.5.4 Syntax: VRFY address\r\n");
  EXPECT_EQ(d.feed("EXPN staff\r\n"), "502 5.5.1 Error: command not implemented\r\n");
  EXPECT_EQ(d.feed("HELP\r\n").substr(0, 10), "214 2.0.0 ");
  EXPECT_EQ(d.closes, 0);
  EXPECT_EQ(d.feed("QUIT\r\n"), "221 2.0.0 Bye\r\n");
  EXPECT_EQ(d.closes, 1);
}

TEST(SmtpdServerProtocol, QuitWithArgumentIsASyntaxError) {
  Driver d;
  EXPECT_EQ(d.feed("QUIT now\r\n"), "501 5.5.4 Syntax: QUIT\r\n");
  EXPECT_EQ(d.closes, 0);
}

TEST(SmtpdServerProtocol, AfterCloseNothingMoreHappens) {
  Driver d;
  d.feed("QUIT\r\nNOOP\r\n");
  EXPECT_EQ(d.out, "220 mx.test ESMTP Hikyaku\r\n221 2.0.0 Bye\r\n");
  EXPECT_EQ(d.closes, 1);
  d.protocol.feed("NOOP\r\n");
  d.protocol.timed_out();
  d.protocol.shutdown(true);
  d.protocol.end_of_input();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::holds_alternative<action::Close>(d.protocol.next()));
}

TEST(SmtpdServerProtocol, CommandOrder) {
  Driver d;
  EXPECT_EQ(d.feed("RCPT TO:<b@r.test>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  EXPECT_EQ(d.feed("DATA\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  d.feed("EHLO c.test\r\n");
  EXPECT_EQ(d.feed("RCPT TO:<b@r.test>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(d.feed("DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test>\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test>\r\n"), "503 5.5.1 Error: nested MAIL command\r\n");
  EXPECT_EQ(d.feed("DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
  EXPECT_TRUE(d.protocol.in_transaction());
}

TEST(SmtpdServerProtocol, MailAccepted) {
  Driver d;
  d.feed("EHLO c.test\r\n");
  EXPECT_FALSE(d.protocol.in_transaction());
  EXPECT_EQ(d.feed("MAIL FROM:<Alice@Sender.Test> SIZE=500 BODY=8BITMIME\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_TRUE(d.protocol.in_transaction());
  const auto& env = d.protocol.envelope();
  EXPECT_EQ(env.mail_from.local, "Alice");
  EXPECT_EQ(env.mail_from.domain, "sender.test");
  EXPECT_EQ(env.declared_size, 500u);
  EXPECT_EQ(env.body, core::BodyType::eight_bit_mime);
  EXPECT_FALSE(env.smtputf8);
  EXPECT_EQ(env.transaction_id, "S1.1");
  EXPECT_EQ(env.session.helo, "c.test");
  EXPECT_EQ(env.session.client_ip, "192.0.2.7");
}

TEST(SmtpdServerProtocol, MailVariants) {
  Driver d;
  d.feed("EHLO c.test\r\n");
  EXPECT_EQ(d.feed("mail from: <a@s.test>\r\n"), "250 2.1.0 Ok\r\n");  // Postfix-style space
  d.feed("RSET\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<>\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_TRUE(d.protocol.envelope().mail_from.is_null());
  d.feed("RSET\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test> BODY=7BIT\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(d.protocol.envelope().body, core::BodyType::seven_bit);
  EXPECT_FALSE(d.protocol.envelope().declared_size);
}

TEST(SmtpdServerProtocol, MailRefusals) {
  Driver d;
  d.feed("EHLO c.test\r\n");
  EXPECT_EQ(d.feed("MAIL <a@s.test>\r\n"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  EXPECT_EQ(d.feed("MAIL\r\n"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:a@s.test\r\n"), "501 5.1.7 Bad sender address syntax\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@@s.test>\r\n"), "501 5.1.7 Bad sender address syntax\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test\r\n"), "501 5.1.7 Bad sender address syntax\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test> FOO=1\r\n"),
            "555 5.5.4 Error: unsupported or malformed MAIL/RCPT parameters\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test> SIZE=abc\r\n"),
            "555 5.5.4 Error: unsupported or malformed MAIL/RCPT parameters\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test> BODY=BINARYMIME\r\n"),
            "555 5.5.4 Error: unsupported or malformed MAIL/RCPT parameters\r\n");
  EXPECT_FALSE(d.protocol.in_transaction());
}

TEST(SmtpdServerProtocol, MailSizeAtTheLimit) {
  Driver d;
  d.feed("EHLO c.test\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test> SIZE=10001\r\n"),
            "552 5.3.4 Message size exceeds fixed limit\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test> SIZE=10000\r\n"), "250 2.1.0 Ok\r\n");
  d.feed("RSET\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test> SIZE=9999\r\n"), "250 2.1.0 Ok\r\n");
}

TEST(SmtpdServerProtocol, MailParametersNeedEhlo) {
  Driver d;
  d.feed("HELO c.test\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test> SIZE=10\r\n"),
            "555 5.5.4 Error: MAIL parameters require EHLO\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST(SmtpdServerProtocol, Smtputf8) {
  Driver d;
  d.feed("EHLO c.test\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<j\xC3\xB6rg@s.test>\r\n"),
            "553 5.6.7 Error: non-ASCII address requires SMTPUTF8\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<j\xC3\xB6rg@s.test> SMTPUTF8\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_TRUE(d.protocol.envelope().smtputf8);
  EXPECT_TRUE(d.protocol.envelope().mail_from.utf8_local);
  EXPECT_EQ(d.feed("RCPT TO:<m\xC3\xBCller@r.test>\r\n"), "250 2.1.5 Ok\r\n");
  d.feed("RSET\r\n");
  d.feed("MAIL FROM:<a@s.test>\r\n");
  EXPECT_EQ(d.feed("RCPT TO:<m\xC3\xBCller@r.test>\r\n"),
            "553 5.6.7 Error: non-ASCII address requires SMTPUTF8\r\n");
  EXPECT_EQ(d.checked.size(), 1u);
}

TEST(SmtpdServerProtocol, RcptAskesTheSinkAndKeepsAcceptedOnes) {
  auto d = in_transaction();
  d->rcpt_replies["nobody@r.test"] = core::SmtpReply::make(550, "5.1.1", "No such user");
  d->rcpt_replies["later@r.test"] = core::SmtpReply::make(450, "4.2.1", "Try later");
  EXPECT_EQ(d->feed("RCPT TO:<b@r.test>\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(d->feed("RCPT TO:<nobody@r.test>\r\n"), "550 5.1.1 No such user\r\n");
  EXPECT_EQ(d->feed("RCPT TO: <later@r.test>\r\n"), "450 4.2.1 Try later\r\n");
  EXPECT_EQ(d->feed("RCPT TO:<Postmaster>\r\n"), "250 2.1.5 Ok\r\n");
  ASSERT_EQ(d->checked.size(), 4u);
  EXPECT_EQ(d->checked[0], "b@r.test");
  // The envelope the sink sees names the transaction in progress.
  EXPECT_EQ(d->envelope_at_check[1].mail_from.str(), "a@sender.test");
  EXPECT_EQ(d->envelope_at_check[1].recipients.size(), 1u);
  const auto& rcpts = d->protocol.envelope().recipients;
  ASSERT_EQ(rcpts.size(), 2u);
  EXPECT_EQ(rcpts[0].str(), "b@r.test");
  EXPECT_EQ(rcpts[1].local, "postmaster");
}

TEST(SmtpdServerProtocol, RcptRefusals) {
  auto d = in_transaction();
  EXPECT_EQ(d->feed("RCPT <b@r.test>\r\n"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  EXPECT_EQ(d->feed("RCPT TO:<>\r\n"), "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(d->feed("RCPT TO:b@r.test\r\n"), "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(d->feed("RCPT TO:<b@r.test> NOTIFY=NEVER\r\n"),
            "555 5.5.4 Error: unsupported or malformed MAIL/RCPT parameters\r\n");
  EXPECT_TRUE(d->checked.empty());
}

TEST(SmtpdServerProtocol, DataDeliversAndResetsTheTransaction) {
  auto d = ready_for_data();
  EXPECT_EQ(d->feed("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(d->last_timeout, Driver::kDataTimeout);
  EXPECT_TRUE(d->protocol.in_transaction());
  EXPECT_EQ(d->feed("Subject: t\r\n\r\n..hi\r\n.\r\n"), "250 2.0.0 Ok: queued as X\r\n");
  EXPECT_EQ(d->last_timeout, Driver::kCommandTimeout);
  ASSERT_EQ(d->messages.size(), 1u);
  EXPECT_EQ(d->messages[0], "Subject: t\r\n\r\n.hi\r\n");
  ASSERT_EQ(d->envelopes.size(), 1u);
  EXPECT_EQ(d->envelopes[0].recipients.size(), 1u);
  EXPECT_EQ(d->envelopes[0].transaction_id, "S1.1");
  EXPECT_FALSE(d->protocol.in_transaction());
  EXPECT_TRUE(d->protocol.envelope().recipients.empty());
  // HELO is kept; the next transaction has the next id.
  EXPECT_EQ(d->feed("RCPT TO:<b@r.test>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(d->feed("MAIL FROM:<a@s.test>\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(d->protocol.envelope().transaction_id, "S1.2");
}

TEST(SmtpdServerProtocol, DeliveryRefusalIsPassedThrough) {
  auto d = ready_for_data();
  d->delivery_reply = core::SmtpReply::make(550, "5.7.1", "DMARC policy");
  EXPECT_EQ(d->feed("DATA\r\nx\r\n.\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n550 5.7.1 DMARC policy\r\n");
  EXPECT_FALSE(d->protocol.in_transaction());
}

TEST(SmtpdServerProtocol, DataWithArgument) {
  auto d = ready_for_data();
  EXPECT_EQ(d->feed("DATA x\r\n"), "501 5.5.4 Syntax: DATA\r\n");
}

TEST(SmtpdServerProtocol, EmptyMessage) {
  auto d = ready_for_data();
  EXPECT_EQ(d->feed("DATA\r\n.\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as X\r\n");
  ASSERT_EQ(d->messages.size(), 1u);
  EXPECT_EQ(d->messages[0], "");
}

TEST(SmtpdServerProtocol, EhloResetsTheTransaction) {
  auto d = ready_for_data();
  EXPECT_EQ(d->feed("EHLO again.test\r\n"), kEhloReply);
  EXPECT_FALSE(d->protocol.in_transaction());
  EXPECT_EQ(d->feed("DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(d->protocol.session().helo, "again.test");
}

TEST(SmtpdServerProtocol, RsetEndsTheTransaction) {
  auto d = ready_for_data();
  EXPECT_EQ(d->feed("RSET\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_FALSE(d->protocol.in_transaction());
  EXPECT_TRUE(d->protocol.envelope().recipients.empty());
  EXPECT_EQ(d->feed("MAIL FROM:<a@s.test>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST(SmtpdServerProtocol, BadOctetsInACommandLine) {
  Driver d;
  // A line still ends only at CRLF: this is ONE bad line, not NOOP then QUIT.
  EXPECT_EQ(d.feed("NOOP\nQUIT\r\n"), "500 5.5.2 Error: bare CR, LF or NUL in command line\r\n");
  EXPECT_EQ(d.feed("NOOP\rQUIT\r\n"), "500 5.5.2 Error: bare CR, LF or NUL in command line\r\n");
  EXPECT_EQ(d.feed(std::string("NOOP\0\r\n", 7)),
            "500 5.5.2 Error: bare CR, LF or NUL in command line\r\n");
  EXPECT_EQ(d.closes, 0);
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(SmtpdServerProtocol, TimeoutAndEndOfInput) {
  Driver d;
  d.protocol.timed_out();
  d.pump();
  EXPECT_EQ(d.out, "220 mx.test ESMTP Hikyaku\r\n421 4.4.2 mx.test Error: timeout exceeded\r\n");
  EXPECT_EQ(d.closes, 1);

  Driver e;
  e.feed("EHLO c.test\r\n");
  const size_t before = e.out.size();
  e.protocol.end_of_input();
  e.pump();
  EXPECT_EQ(e.out.size(), before);
  EXPECT_EQ(e.closes, 1);
}

TEST(SmtpdServerProtocol, TimeoutDuringData) {
  auto d = ready_for_data();
  d->feed("DATA\r\npartial");
  d->protocol.timed_out();
  d->pump();
  EXPECT_NE(d->out.find("421 4.4.2 mx.test Error: timeout exceeded\r\n"), std::string::npos);
  EXPECT_TRUE(d->messages.empty());
  EXPECT_EQ(d->closes, 1);
}

TEST(SmtpdServerProtocol, ReplyTextNeverCarriesClientCrLf) {
  Driver d;
  // The client's HELO text is never echoed; a sink reply with CR/LF is sanitised by render().
  d.feed("EHLO c.test\r\nMAIL FROM:<a@s.test>\r\n");
  d.rcpt_replies["b@r.test"] = core::SmtpReply::make(250, "2.1.5", "Ok\r\n250 injected");
  EXPECT_EQ(d.feed("RCPT TO:<b@r.test>\r\n"), "250 2.1.5 Ok  250 injected\r\n");
}

TEST(SmtpdProtocolSettings, FromServerConfig) {
  config::ServerConfig c;
  c.hostname = "mx9.example";
  c.max_command_line = 1024;
  c.max_text_line = 2000;
  c.max_message_size = 1234;
  c.max_recipients = 7;
  c.max_hops = 11;
  c.max_errors = 3;
  auto s = ProtocolSettings::from(c);
  EXPECT_EQ(s.hostname, "mx9.example");
  EXPECT_EQ(s.max_command_line, 1024u);
  EXPECT_EQ(s.max_text_line, 2000u);
  EXPECT_EQ(s.max_message_size, 1234u);
  EXPECT_EQ(s.max_recipients, 7u);
  EXPECT_EQ(s.max_hops, 11u);
  EXPECT_EQ(s.max_errors, 3u);
  EXPECT_FALSE(s.tls_available);
  c.tls = config::TlsConfig{"cert.pem", "key.pem"};
  EXPECT_TRUE(ProtocolSettings::from(c).tls_available);
}

}  // namespace
}  // namespace hikyaku::smtpd::test

namespace hikyaku::smtpd::test {
namespace {

// The disconnect line's counters, as Postfix writes them: accepted/given per verb.
TEST(SmtpdCommandCounts, PostfixStyleAcceptedOverGiven) {
  Driver d;
  EXPECT_EQ(d.protocol.command_counts(), "");
  d.rcpt_replies["b@example.com"] = core::SmtpReply::make(550, "5.1.1", "unknown");
  d.rcpt_replies["c@example.com"] = core::SmtpReply::make(550, "5.1.1", "unknown");
  d.delivery_reply = core::SmtpReply::make(554, "5.7.1", "refused");
  d.feed("EHLO client.example\r\nMAIL FROM:<a@origin.example>\r\nRCPT TO:<b@example.com>\r\n"
         "RCPT TO:<c@example.com>\r\nRCPT TO:<d@example.com>\r\nDATA\r\n");
  d.feed("Subject: x\r\n\r\nbody\r\n.\r\n");
  d.feed("NOOP\r\nBOGUS\r\nQUIT\r\n");
  EXPECT_EQ(d.protocol.command_counts(),
            "ehlo=1 mail=1 rcpt=1/3 data=0/1 noop=1 quit=1 unknown=0/1 commands=5/9");
  EXPECT_TRUE(d.protocol.quit_received());
}

TEST(SmtpdCommandCounts, DataAcceptedAtItsFinalReplyNotAt354) {
  Driver d;
  d.feed("HELO client.example\r\nMAIL FROM:<a@origin.example>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
  EXPECT_EQ(d.protocol.command_counts(), "helo=1 mail=1 rcpt=1 data=0/1 commands=3/4");
  d.feed("\r\nbody\r\n.\r\n");
  EXPECT_EQ(d.protocol.command_counts(), "helo=1 mail=1 rcpt=1 data=1 commands=4");
  EXPECT_FALSE(d.protocol.quit_received());
}

}  // namespace
}  // namespace hikyaku::smtpd::test

namespace hikyaku::smtpd::test {
namespace {

// Every refusal the protocol makes is handed to the log with its command; the sink's own RCPT
// and DATA replies are not (the sink logs its decisions).
TEST(SmtpdRefusalLog, ProtocolRefusalsCarryTheirCommand) {
  Driver d;
  d.rcpt_replies["b@example.com"] = core::SmtpReply::make(550, "5.1.1", "unknown");
  d.feed("EHLO client.example\r\nMAIL FROM:<a@origin.example> FOO=BAR\r\n");
  d.feed("MAIL FROM:<a@origin.example>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n");
  d.feed(std::string(1100, 'x') + "\r\n.\r\n");
  ASSERT_EQ(d.refusals.size(), 2u) << ::testing::PrintToString(d.refusals);
  EXPECT_TRUE(d.refusals[0].starts_with("MAIL: 555 5.5.4")) << d.refusals[0];
  EXPECT_TRUE(d.refusals[1].starts_with("DATA: 552 5.3.4")) << d.refusals[1];
}

}  // namespace
}  // namespace hikyaku::smtpd::test
