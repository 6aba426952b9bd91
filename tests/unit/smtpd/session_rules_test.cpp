// ServerProtocol limits at N-1, N, N+1 (command line, text line, message size, recipients,
// errors), PIPELINING, byte-at-a-time feeding, STARTTLS (injection discarded, reset) and
// shutdown. RFC 5321 §4.5.3.1, RFC 2920 §3, RFC 3207 §4.2 and §5 (CVE-2011-0411).
#include <gtest/gtest.h>

#include "protocol_driver.hpp"

namespace hikyaku::smtpd::test {
namespace {

// A NOOP command line of exactly `total` octets including CRLF.
std::string noop_line(size_t total) { return "NOOP " + std::string(total - 7, 'x') + "\r\n"; }

TEST(SmtpdLimits, CommandLine511_512_513) {
  Driver d;
  ASSERT_EQ(noop_line(512).size(), 512u);
  EXPECT_EQ(d.feed(noop_line(511)), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.feed(noop_line(512)), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.feed(noop_line(513)), "500 5.5.2 Error: line too long\r\n");
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(SmtpdLimits, OverlongCommandLineIsDiscardedToItsCrlfAndAnsweredOnce) {
  Driver d;
  // 1 MB without CRLF in many reads: no reply, nothing executed, nothing kept.
  const std::string junk = "QUIT " + std::string(16379, 'x');
  for (int i = 0; i < 64; ++i) EXPECT_EQ(d.feed(junk), "");
  EXPECT_EQ(d.feed("QUIT\r\nNOOP\r\n"), "500 5.5.2 Error: line too long\r\n250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.closes, 0);
}

TEST(SmtpdLimits, CommandLineLimitIsConfigurable) {
  auto s = test_settings();
  s.max_command_line = 100;
  Driver d(s);
  EXPECT_EQ(d.feed(noop_line(100)), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.feed(noop_line(101)), "500 5.5.2 Error: line too long\r\n");
}

std::string text_line(size_t total) { return std::string(total - 2, 't') + "\r\n"; }

TEST(SmtpdLimits, TextLine999_1000_1001) {
  for (size_t total : {999u, 1000u}) {
    auto d = ready_for_data();
    EXPECT_EQ(d->feed("DATA\r\n" + text_line(total) + ".\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as X\r\n")
        << total;
    EXPECT_EQ(d->messages.size(), 1u);
  }
  auto d = ready_for_data();
  EXPECT_EQ(d->feed("DATA\r\n" + text_line(1001) + "more\r\n.\r\nNOOP\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n"
            "552 5.3.4 Error: message has a line longer than 1000 octets (RFC 5321 4.5.3.1.6); "
            "refused rather than rewrapped, which would break its signatures\r\n250 2.0.0 Ok\r\n");
  EXPECT_TRUE(d->messages.empty());
  EXPECT_FALSE(d->protocol.in_transaction());
}

// RFC 5321 §4.5.3.1.6: the stuffing dot (§4.5.2) is not counted; the refusal is a reply valid
// after DATA (§4.3.2), given once the real end of data has been read, and logged with a reason.
TEST(SmtpdLimits, TextLineWithStuffingDot999_1000_1001) {
  for (size_t total : {999u, 1000u}) {
    auto d = ready_for_data();
    EXPECT_EQ(d->feed("DATA\r\n." + text_line(total) + ".\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as X\r\n")
        << total;
    ASSERT_EQ(d->messages.size(), 1u);
    EXPECT_EQ(d->messages[0], text_line(total));
    EXPECT_TRUE(d->notes.empty());
  }
  auto d = ready_for_data();
  // Fed in pieces: nothing is answered before the real end of data.
  EXPECT_EQ(d->feed("DATA\r\n." + text_line(1001) + "more\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n");
  const std::string reply = d->feed(".\r\nNOOP\r\n");
  EXPECT_EQ(codes(reply), (std::vector<int>{552, 250}));
  EXPECT_EQ(reply.rfind("552 5.3.4 ", 0), 0u) << reply;
  EXPECT_TRUE(d->messages.empty());
  ASSERT_EQ(d->notes.size(), 1u);
  EXPECT_EQ(d->notes[0],
            "message refused: line 1 of the data has 1001 octets, over max_text_line 1000 "
            "(RFC 5321 4.5.3.1.6)");
}

TEST(SmtpdLimits, TextLineLimitIsConfigurable) {
  auto s = test_settings();
  s.max_text_line = 2000;
  s.max_message_size = 100000;
  for (size_t total : {2000u, 2001u}) {
    auto d = ready_for_data(s);
    const std::string reply = d->feed("DATA\r\nok\r\n" + text_line(total) + ".\r\n");
    EXPECT_EQ(codes(reply), (std::vector<int>{354, total == 2000u ? 250 : 552})) << reply;
    if (total == 2001u) {
      EXPECT_NE(reply.find("longer than 2000 octets"), std::string::npos) << reply;
      ASSERT_EQ(d->notes.size(), 1u);
      EXPECT_NE(d->notes[0].find("line 2 of the data has 2001 octets"), std::string::npos);
    }
  }
}

// RFC 5321 §6.3: Received: fields counted at the end of data; more than max_hops (50 in
// the default settings) is a loop, refused with 554 5.4.6 and logged with the count.
std::string with_received(size_t hops) {
  std::string m;
  for (size_t i = 0; i < hops; ++i) {
    m += "Received: from h" + std::to_string(i) + ".example by h" + std::to_string(i + 1) +
         ".example;\r\n\tMon, 7 Dec 2026 10:00:00 +0000\r\n";
  }
  return m + "received-by: not a Received field\r\nSubject: loop\r\n\r\nReceived: in the body\r\n";
}

TEST(SmtpdLimits, ReceivedHops49_50_51) {
  ASSERT_EQ(test_settings().max_hops, 50u);
  for (size_t hops : {49u, 50u}) {
    auto d = ready_for_data();
    EXPECT_EQ(d->feed("DATA\r\n" + with_received(hops) + ".\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as X\r\n")
        << hops;
    EXPECT_EQ(d->messages.size(), 1u);
  }
  auto d = ready_for_data();
  EXPECT_EQ(d->feed("DATA\r\n" + with_received(51) + ".\r\nNOOP\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n554 5.4.6 Error: too many hops\r\n"
            "250 2.0.0 Ok\r\n");
  EXPECT_TRUE(d->messages.empty());
  EXPECT_FALSE(d->protocol.in_transaction());
  ASSERT_EQ(d->notes.size(), 1u);
  EXPECT_EQ(d->notes[0],
            "message refused: 51 Received: fields, over max_hops 50 (mail loop, RFC 5321 6.3)");
  // The field name is matched without regard to case (RFC 5322 §1.2.2).
  auto e = ready_for_data();
  std::string lower = with_received(51);
  for (size_t p = lower.find("Received:"); p != std::string::npos; p = lower.find("Received:", p + 1)) {
    lower.replace(p, 9, "RECEIVED:");
  }
  EXPECT_EQ(codes(e->feed("DATA\r\n" + lower + ".\r\n")), (std::vector<int>{354, 554}));
}

TEST(SmtpdLimits, HopLimitIsConfigurable) {
  auto s = test_settings();
  s.max_hops = 2;
  s.max_message_size = 100000;
  auto d = ready_for_data(s);
  EXPECT_EQ(codes(d->feed("DATA\r\n" + with_received(2) + ".\r\n")), (std::vector<int>{354, 250}));
  auto e = ready_for_data(s);
  EXPECT_EQ(codes(e->feed("DATA\r\n" + with_received(3) + ".\r\n")), (std::vector<int>{354, 554}));
}

// A message of exactly `size` octets: lines of 500 and a last one of 2..501.
std::string body_of(size_t size) {
  std::string b;
  const size_t n = (size - 2) / 500;
  for (size_t i = 0; i < n; ++i) b += text_line(500);
  b += text_line(size - b.size());
  return b;
}

TEST(SmtpdLimits, MessageSizeNMinus1NNPlus1) {
  // max_message_size is 10000 in the test settings.
  for (size_t size : {9999u, 10000u}) {
    auto d = ready_for_data();
    const std::string b = body_of(size);
    ASSERT_EQ(b.size(), size);
    EXPECT_EQ(d->feed("DATA\r\n" + b + ".\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as X\r\n");
    ASSERT_EQ(d->messages.size(), 1u) << size;
    EXPECT_EQ(d->messages[0], b);
  }
  auto d = ready_for_data();
  const std::string b = body_of(10001);
  ASSERT_EQ(b.size(), 10001u);
  EXPECT_EQ(d->feed("DATA\r\n" + b + ".\r\nNOOP\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n552 5.3.4 Message size exceeds fixed limit\r\n"
            "250 2.0.0 Ok\r\n");
  EXPECT_TRUE(d->messages.empty());
  EXPECT_FALSE(d->protocol.in_transaction());
}

TEST(SmtpdLimits, HugeMessageIsDiscardedWhileRead) {
  auto d = ready_for_data();
  d->feed("DATA\r\n");
  const std::string chunk = body_of(16000);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(d->feed(chunk), "");
  EXPECT_EQ(d->feed(".\r\n"), "552 5.3.4 Message size exceeds fixed limit\r\n");
}

TEST(SmtpdLimits, RecipientsMaxAcceptedMaxPlusOneRefused) {
  auto d = in_transaction();  // max_recipients = 5
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(d->feed("RCPT TO:<r" + std::to_string(i) + "@r.test>\r\n"), "250 2.1.5 Ok\r\n") << i;
  }
  EXPECT_EQ(d->feed("RCPT TO:<r5@r.test>\r\n"), "452 4.5.3 Error: too many recipients\r\n");
  EXPECT_EQ(d->protocol.envelope().recipients.size(), 5u);
  EXPECT_EQ(d->checked.size(), 5u);  // the sixth never reached the sink
}

TEST(SmtpdLimits, RefusedRecipientsDoNotFillTheBuffer) {
  auto d = in_transaction();
  d->rcpt_replies["no@r.test"] = core::SmtpReply::make(550, "5.1.1", "No");
  for (int i = 0; i < 3; ++i) d->feed("RCPT TO:<no@r.test>\r\n");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(d->feed("RCPT TO:<r" + std::to_string(i) + "@r.test>\r\n"), "250 2.1.5 Ok\r\n");
  }
}

TEST(SmtpdLimits, ErrorsTwoKeepTheSessionTheThirdClosesIt) {
  auto s = test_settings();
  s.max_errors = 3;
  Driver d(s);
  EXPECT_EQ(d.feed("FOO\r\n"), "500 5.5.2 Error: command not recognized\r\n");
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.closes, 0);
  EXPECT_EQ(d.feed("BAR\r\nNOOP\r\n"),
            "500 5.5.2 Error: command not recognized\r\n421 4.7.0 mx.test Error: too many errors\r\n");
  EXPECT_EQ(d.closes, 1);
}

TEST(SmtpdLimits, SinkRefusalsAndLineErrorsCount) {
  auto s = test_settings();
  s.max_errors = 3;
  auto d = in_transaction(s);
  d->rcpt_replies["no@r.test"] = core::SmtpReply::make(550, "5.1.1", "No");
  d->feed("RCPT TO:<no@r.test>\r\n");
  d->feed(noop_line(600));
  EXPECT_EQ(d->closes, 0);
  EXPECT_EQ(d->feed("RCPT TO:<no@r.test>\r\n"),
            "550 5.1.1 No\r\n421 4.7.0 mx.test Error: too many errors\r\n");
  EXPECT_EQ(d->closes, 1);
}

TEST(SmtpdLimits, DataRefusalsCountAsErrors) {
  auto s = test_settings();
  s.max_errors = 2;
  auto d = ready_for_data(s);
  EXPECT_EQ(d->feed("DATA\r\nbare\nlf\r\n.\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n"
            "550 5.6.11 Error: bare CR or LF in message data (SMTP smuggling defence)\r\n");
  EXPECT_FALSE(d->protocol.in_transaction());
  EXPECT_EQ(d->closes, 0);
  EXPECT_EQ(d->feed("DATA\r\n"),
            "503 5.5.1 Error: need MAIL command\r\n421 4.7.0 mx.test Error: too many errors\r\n");
  EXPECT_EQ(d->closes, 1);
}

TEST(SmtpdLimits, ZeroMaxErrorsMeansNoLimit) {
  auto s = test_settings();
  s.max_errors = 0;
  Driver d(s);
  for (int i = 0; i < 50; ++i) d.feed("FOO\r\n");
  EXPECT_EQ(d.closes, 0);
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(SmtpdPipelining, AWholeGroupInOneFeedIsAnsweredInOrder) {
  Driver d;
  d.rcpt_replies["no@r.test"] = core::SmtpReply::make(550, "5.1.1", "No such user");
  const std::string out = d.feed(
      "EHLO c.test\r\nMAIL FROM:<a@s.test>\r\nRCPT TO:<b@r.test>\r\nRCPT TO:<no@r.test>\r\n"
      "RCPT TO:<c@r.test>\r\nDATA\r\nSubject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<x@s.test>\r\n"
      "RCPT TO:<d@r.test>\r\nDATA\r\nsecond\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(codes(out), (std::vector<int>{250, 250, 250, 550, 250, 354, 250, 250, 250, 354, 250, 221}));
  ASSERT_EQ(d.messages.size(), 2u);
  EXPECT_EQ(d.messages[0], "Subject: p\r\n\r\nbody\r\n");
  EXPECT_EQ(d.messages[1], "second\r\n");
  EXPECT_EQ(d.envelopes[0].recipients.size(), 2u);
  EXPECT_EQ(d.envelopes[1].recipients.size(), 1u);
  EXPECT_EQ(d.closes, 1);
}

TEST(SmtpdPipelining, BytewiseFeedingGivesTheSameReplies) {
  const std::string script =
      "EHLO c.test\r\nFOO\r\nMAIL FROM:<a@s.test> SIZE=100\r\nRCPT TO:<b@r.test>\r\n"
      "RCPT TO:<>\r\nDATA\r\nSubject: q\r\n\r\n..dot\r\n.\r\nMAIL FROM:<a@s.test>\r\n"
      "RCPT TO:<b@r.test>\r\nDATA\r\nbare\nlf\r\n.\r\n" +
      noop_line(513) + noop_line(512) + "NOOP\nX\r\nVRFY x\r\nRSET\r\nQUIT\r\n";
  Driver whole;
  whole.feed(script);
  Driver bytewise;
  bytewise.feed_bytewise(script);
  EXPECT_EQ(whole.out, bytewise.out);
  EXPECT_EQ(whole.messages, bytewise.messages);
  EXPECT_EQ(codes(whole.out), (std::vector<int>{220, 250, 500, 250, 250, 501, 354, 250, 250, 250,
                                                354, 550, 500, 250, 500, 252, 250, 221}));
  EXPECT_EQ(whole.closes, 1);
  EXPECT_EQ(bytewise.closes, 1);
}

TEST(SmtpdPipelining, RcptWaitsForTheSinkBeforeReadingOn) {
  Driver d;
  d.feed("EHLO c.test\r\nMAIL FROM:<a@s.test>\r\n");
  d.protocol.feed("RCPT TO:<b@r.test>\r\nNOOP\r\n");
  auto a = d.protocol.next();
  ASSERT_TRUE(std::holds_alternative<action::CheckRecipient>(a));
  EXPECT_EQ(std::get<action::CheckRecipient>(a).rcpt.str(), "b@r.test");
  // Asked again without an answer: the same question, no NOOP processed.
  EXPECT_TRUE(std::holds_alternative<action::CheckRecipient>(d.protocol.next()));
  d.protocol.recipient_checked(core::SmtpReply::make(250, "2.1.5", "Ok"));
  const size_t before = d.out.size();
  d.pump();
  EXPECT_EQ(d.out.substr(before), "250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n");
}

// --- STARTTLS ---

TEST(SmtpdStartTls, InjectedCommandsAfterStarttlsAreDiscarded) {
  Driver d;
  d.feed("EHLO c.test\r\n");
  EXPECT_EQ(d.feed("STARTTLS\r\nMAIL FROM:<evil@s.test>\r\nRCPT TO:<evil@r.test>\r\n"),
            "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(d.starttls, 1);
  EXPECT_TRUE(d.checked.empty());
  EXPECT_TRUE(d.protocol.session().tls);
  EXPECT_EQ(d.protocol.session().tls_version, "TLSv1.3");
  // The state was reset: HELO forgotten, so MAIL now needs a new EHLO.
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  EXPECT_TRUE(d.protocol.session().helo.empty());
}

TEST(SmtpdStartTls, InjectionDiscardedEvenWhenFedBytewise) {
  Driver d;
  d.feed("EHLO c.test\r\n");
  // Bytewise, the driver reads only after NeedInput; at STARTTLS the rest is not yet buffered
  // and arrives (in the test) after the handshake, where it is legitimate TLS input.
  d.feed_bytewise("STARTTLS\r\n");
  EXPECT_EQ(d.starttls, 1);
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(SmtpdStartTls, AfterTlsStarttlsIsNeitherOfferedNorAccepted) {
  Driver d;
  d.feed("EHLO c.test\r\nSTARTTLS\r\n");
  const std::string ehlo = d.feed("EHLO c.test\r\n");
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_NE(ehlo.find("250 ENHANCEDSTATUSCODES\r\n"), std::string::npos);
  EXPECT_EQ(d.feed("STARTTLS\r\n"), "503 5.5.1 Error: TLS already active\r\n");
  EXPECT_EQ(d.starttls, 1);
  EXPECT_EQ(d.feed("MAIL FROM:<a@s.test>\r\nRCPT TO:<b@r.test>\r\nDATA\r\nx\r\n.\r\n"),
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
            "250 2.0.0 Ok: queued as X\r\n");
  ASSERT_EQ(d.envelopes.size(), 1u);
  EXPECT_TRUE(d.envelopes[0].session.tls);
}

TEST(SmtpdStartTls, Refusals) {
  Driver d;
  EXPECT_EQ(d.feed("STARTTLS now\r\n"), "501 5.5.4 Syntax: STARTTLS\r\n");
  d.feed("EHLO c.test\r\nMAIL FROM:<a@s.test>\r\n");
  EXPECT_EQ(d.feed("STARTTLS\r\n"),
            "503 5.5.1 Error: STARTTLS not allowed during a mail transaction\r\n");
  EXPECT_EQ(d.starttls, 0);

  auto s = test_settings();
  s.tls_available = false;
  Driver e(s);
  EXPECT_EQ(e.feed("STARTTLS\r\n"), "502 5.5.1 Error: STARTTLS not available\r\n");
  EXPECT_EQ(e.starttls, 0);
}

TEST(SmtpdStartTls, BeforeEhloIsAllowed) {
  Driver d;
  EXPECT_EQ(d.feed("STARTTLS\r\n"), "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(d.starttls, 1);
}

TEST(SmtpdStartTls, HandshakeFailureCloses) {
  Driver d;
  d.tls_succeeds = false;
  d.feed("EHLO c.test\r\n");
  EXPECT_EQ(d.feed("STARTTLS\r\nNOOP\r\n"), "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(d.starttls, 1);
  EXPECT_EQ(d.closes, 1);
}

// --- shutdown ---

TEST(SmtpdShutdown, GracefulOutsideATransactionIsImmediate) {
  Driver d;
  d.feed("EHLO c.test\r\n");
  d.protocol.shutdown(false);
  const size_t before = d.out.size();
  d.pump();
  EXPECT_EQ(d.out.substr(before), "421 4.3.2 mx.test Service shutting down\r\n");
  EXPECT_EQ(d.closes, 1);
}

TEST(SmtpdShutdown, GracefulLetsTheTransactionFinish) {
  auto d = ready_for_data();
  d->protocol.shutdown(false);
  EXPECT_EQ(d->feed("DATA\r\nx\r\n.\r\nMAIL FROM:<a@s.test>\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as X\r\n"
            "421 4.3.2 mx.test Service shutting down\r\n");
  EXPECT_EQ(d->messages.size(), 1u);
  EXPECT_EQ(d->closes, 1);
}

TEST(SmtpdShutdown, GracefulEndsAtRset) {
  auto d = in_transaction();
  d->protocol.shutdown(false);
  EXPECT_EQ(d->feed("RCPT TO:<b@r.test>\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(d->closes, 0);
  EXPECT_EQ(d->feed("RSET\r\nNOOP\r\n"),
            "250 2.0.0 Ok\r\n421 4.3.2 mx.test Service shutting down\r\n");
  EXPECT_EQ(d->closes, 1);
}

TEST(SmtpdShutdown, ImmediateInATransaction) {
  auto d = ready_for_data();
  d->feed("DATA\r\npartial\r\n");
  d->protocol.shutdown(true);
  const size_t before = d->out.size();
  d->pump();
  EXPECT_EQ(d->out.substr(before), "421 4.3.2 mx.test Service shutting down\r\n");
  EXPECT_TRUE(d->messages.empty());
  EXPECT_EQ(d->closes, 1);
}

TEST(SmtpdShutdown, ImmediateWaitsForAnOutstandingDelivery) {
  auto d = ready_for_data();
  d->protocol.feed("DATA\r\nx\r\n.\r\n");
  ASSERT_TRUE(std::holds_alternative<action::Send>(d->protocol.next()));  // 354
  ASSERT_TRUE(std::holds_alternative<action::DeliverMessage>(d->protocol.next()));
  d->protocol.shutdown(true);
  d->protocol.message_delivered(core::SmtpReply::make(250, "2.0.0", "Ok"));
  const size_t before = d->out.size();
  d->pump();
  // The message was delivered: its 250 must reach the client before the 421.
  EXPECT_EQ(d->out.substr(before), "250 2.0.0 Ok\r\n421 4.3.2 mx.test Service shutting down\r\n");
  EXPECT_EQ(d->closes, 1);
}

TEST(SmtpdShutdown, ImmediateDropsAnUnaskedRecipientCheck) {
  auto d = in_transaction();
  d->protocol.feed("RCPT TO:<b@r.test>\r\n");
  d->protocol.shutdown(true);
  const size_t before = d->out.size();
  d->pump();
  EXPECT_EQ(d->out.substr(before), "421 4.3.2 mx.test Service shutting down\r\n");
  EXPECT_TRUE(d->checked.empty());
}

}  // namespace
}  // namespace hikyaku::smtpd::test
