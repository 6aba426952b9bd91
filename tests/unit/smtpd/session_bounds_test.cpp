// Session bounds in the sans-I/O machine: the junk-command limit (Postfix
// smtpd_junk_command_limit) at N-1, N, N+1, what counts as junk and what restarts the count,
// and the session time limit's 421 (RFC 5321 §3.8, §4.5.3.2).
#include <gtest/gtest.h>

#include "protocol_driver.hpp"

namespace hikyaku::smtpd::test {
namespace {

ProtocolSettings junk_limit(size_t n) {
  auto s = test_settings();
  s.max_junk_commands = n;
  s.max_errors = 1000;
  return s;
}

const char* kJunk421 = "421 4.7.0 mx.test Error: too many commands without mail\r\n";

TEST(SmtpdJunkCommands, NMinus1AndNAnsweredNPlus1Closes) {
  Driver d(junk_limit(3));
  d.feed("EHLO client.test\r\n");
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");      // 1
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");      // 2 = N-1
  EXPECT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n");      // 3 = N
  EXPECT_EQ(d.closes, 0);
  EXPECT_TRUE(d.protocol.limit_reached().empty());
  EXPECT_EQ(d.feed("NOOP\r\n"), kJunk421);                 // N+1
  EXPECT_EQ(d.closes, 1);
  EXPECT_EQ(d.protocol.limit_reached(), "too many junk commands");
}

TEST(SmtpdJunkCommands, RsetVrfyHelpAndExpnCountNoopAlike) {
  Driver d(junk_limit(4));
  EXPECT_EQ(codes(d.feed("EHLO c.test\r\nRSET\r\nVRFY a\r\nHELP\r\nEXPN list\r\n")),
            (std::vector<int>{250, 250, 252, 214, 502}));
  EXPECT_EQ(d.closes, 0);
  EXPECT_EQ(d.feed("RSET\r\n"), kJunk421);
  EXPECT_EQ(d.closes, 1);
}

TEST(SmtpdJunkCommands, MailCommandsAreNotJunk) {
  Driver d(junk_limit(1));
  d.feed("EHLO c.test\r\nNOOP\r\n");
  d.rcpt_ok = core::SmtpReply::make(250, "2.1.5", "Ok");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(codes(d.feed("EHLO c.test\r\nMAIL FROM:<a@s.test>\r\nRCPT TO:<b@r.test>\r\n")),
              (std::vector<int>{250, 250, 250}));
  }
  EXPECT_EQ(d.closes, 0);
  EXPECT_EQ(d.feed("RSET\r\n"), kJunk421);  // the transaction was never delivered
}

TEST(SmtpdJunkCommands, ADeliveredMessageRestartsTheCount) {
  Driver d(junk_limit(2));
  d.feed("EHLO c.test\r\n");
  for (int round = 0; round < 5; ++round) {
    EXPECT_EQ(codes(d.feed("RSET\r\nNOOP\r\n")), (std::vector<int>{250, 250})) << round;
    EXPECT_EQ(codes(d.feed("MAIL FROM:<a@s.test>\r\nRCPT TO:<b@r.test>\r\nDATA\r\nx\r\n.\r\n")),
              (std::vector<int>{250, 250, 354, 250}));
  }
  EXPECT_EQ(d.messages.size(), 5u);
  EXPECT_EQ(d.closes, 0);
}

TEST(SmtpdJunkCommands, ARefusedMessageDoesNotRestartTheCount) {
  Driver d(junk_limit(2));
  d.delivery_reply = core::SmtpReply::make(451, "4.7.1", "Try again later");
  d.feed("EHLO c.test\r\nRSET\r\nNOOP\r\n");
  EXPECT_EQ(codes(d.feed("MAIL FROM:<a@s.test>\r\nRCPT TO:<b@r.test>\r\nDATA\r\nx\r\n.\r\n")),
            (std::vector<int>{250, 250, 354, 451}));
  EXPECT_EQ(d.feed("NOOP\r\n"), kJunk421);
}

TEST(SmtpdJunkCommands, PipelinedJunkPastTheLimitStopsAtTheLimit) {
  Driver d(junk_limit(2));
  EXPECT_EQ(d.feed("EHLO c.test\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nMAIL FROM:<a@s.test>\r\n"),
            "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
            "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n" +
                std::string(kJunk421));
  EXPECT_EQ(d.closes, 1);
}

TEST(SmtpdJunkCommands, ZeroMeansNoLimit) {
  Driver d(junk_limit(0));
  for (int i = 0; i < 500; ++i) ASSERT_EQ(d.feed("NOOP\r\n"), "250 2.0.0 Ok\r\n") << i;
  EXPECT_EQ(d.closes, 0);
}

TEST(SmtpdSessionTime, ExpiryGives421AndCloses) {
  auto d = ready_for_data();
  d->feed("DATA\r\npartial line");
  d->protocol.session_expired();
  d->pump();
  EXPECT_NE(d->out.find("421 4.4.2 mx.test Error: session time limit exceeded\r\n"), std::string::npos);
  EXPECT_EQ(d->closes, 1);
  EXPECT_TRUE(d->messages.empty());
  EXPECT_EQ(d->protocol.limit_reached(), "session time limit");
}

TEST(SmtpdSessionTime, TimeoutAndErrorsNameTheirLimit) {
  Driver a;
  a.protocol.timed_out();
  a.pump();
  EXPECT_EQ(a.protocol.limit_reached(), "timeout");
  auto s = test_settings();
  s.max_errors = 1;
  Driver b(s);
  b.feed("BOGUS\r\n");
  EXPECT_EQ(b.protocol.limit_reached(), "too many errors");
}

}  // namespace
}  // namespace hikyaku::smtpd::test
