// The process-wide budget of message bytes in memory: InflightBudget at its exact boundary, and
// the sans-I/O machine charging it as DATA arrives, refusing with 452 4.3.1 (RFC 3463 §3.4) at
// DATA when it is spent or at the end of a message that outgrew it, and giving it back.
#include <gtest/gtest.h>

#include "protocol_driver.hpp"

namespace hikyaku::smtpd::test {
namespace {

const char* k452 = "452 4.3.1 Insufficient system storage\r\n";

TEST(InflightBudget, ReserveAtTheBoundary) {
  InflightBudget b(100);
  EXPECT_TRUE(b.try_reserve(60));
  EXPECT_TRUE(b.try_reserve(39));   // 99: N-1
  EXPECT_FALSE(b.exhausted());
  EXPECT_TRUE(b.try_reserve(1));    // 100: N
  EXPECT_TRUE(b.exhausted());
  EXPECT_FALSE(b.try_reserve(1));   // 101: N+1, nothing taken
  EXPECT_EQ(b.used(), 100u);
  b.release(1);
  EXPECT_FALSE(b.exhausted());
  EXPECT_FALSE(b.try_reserve(2));   // does not fit: all or nothing
  EXPECT_EQ(b.used(), 99u);
  b.release(1000);                  // never below zero
  EXPECT_EQ(b.used(), 0u);
  b.set_limit(10);
  EXPECT_FALSE(b.try_reserve(11));
  EXPECT_TRUE(b.try_reserve(10));
}

ProtocolSettings with_budget(InflightBudget& b) {
  auto s = test_settings();
  s.inflight = &b;
  s.max_message_size = 1 << 20;
  s.max_errors = 1;  // a 452 of ours must not count as the client's error
  return s;
}

std::string lines(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += std::string(98, 'x') + "\r\n";
  return out;
}

TEST(SmtpdInflight, SpentBudgetRefusesDataWith452AndKeepsTheTransaction) {
  InflightBudget b(1000);
  ASSERT_TRUE(b.try_reserve(1000));  // another session holds it all
  auto d = ready_for_data(with_budget(b));
  EXPECT_EQ(d->feed("DATA\r\n"), k452);
  EXPECT_EQ(d->closes, 0);
  EXPECT_TRUE(d->protocol.in_transaction());
  b.release(1000);
  EXPECT_EQ(d->feed("DATA\r\nSubject: t\r\n\r\nhi\r\n.\r\n"),
            "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as X\r\n");
  EXPECT_EQ(b.used(), 0u);
}

TEST(SmtpdInflight, OneByteLeftStillStartsAMessage) {
  InflightBudget b(1000);
  ASSERT_TRUE(b.try_reserve(999));
  auto d = ready_for_data(with_budget(b));
  EXPECT_EQ(d->feed("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST(SmtpdInflight, MessageOutgrowingTheBudgetIsReadToItsEndAndRefused) {
  InflightBudget b(16 * 1024);
  auto d = ready_for_data(with_budget(b));
  d->feed("DATA\r\n");
  // 50 KB in 1 KB pieces: the first pieces are kept and charged, then the message is dropped.
  const std::string piece = lines(10);
  uint64_t peak = 0;
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(d->feed(piece), "");
    peak = std::max(peak, b.used());
    EXPECT_LE(b.used(), b.limit());
  }
  EXPECT_GT(peak, 0u);
  EXPECT_EQ(b.used(), 0u);  // dropped: nothing held any more
  EXPECT_EQ(d->feed(".\r\nNOOP\r\n"), std::string(k452) + "250 2.0.0 Ok\r\n");
  EXPECT_TRUE(d->messages.empty());
  EXPECT_EQ(d->closes, 0);
  EXPECT_FALSE(d->protocol.in_transaction());
}

TEST(SmtpdInflight, AMessageHoldsItsShareUntilItsReply) {
  InflightBudget b(1 << 20);
  core::SessionInfo info = test_session();
  ServerProtocol p(with_budget(b), info, std::chrono::seconds(300), std::chrono::seconds(180));
  p.start();
  p.feed("EHLO c.test\r\nMAIL FROM:<a@s.test>\r\nRCPT TO:<b@r.test>\r\n");
  auto until = [&p](auto pred) {
    for (int i = 0; i < 1000; ++i) {
      Action a = p.next();
      if (pred(a)) return true;
      if (std::holds_alternative<action::CheckRecipient>(a)) {
        p.recipient_checked(core::SmtpReply::make(250, "2.1.5", "Ok"));
      }
      if (std::holds_alternative<action::NeedInput>(a)) return false;
    }
    return false;
  };
  until([](const Action&) { return false; });
  const std::string body = "Subject: t\r\n\r\n" + lines(100);
  p.feed("DATA\r\n" + body + ".\r\n");
  ASSERT_TRUE(until([](const Action& a) { return std::holds_alternative<action::DeliverMessage>(a); }));
  EXPECT_GE(b.used(), body.size());  // held while the sink works on it
  EXPECT_EQ(p.message().raw(), body);
  p.message_delivered(core::SmtpReply::make(250, "2.0.0", "Ok"));
  EXPECT_EQ(b.used(), 0u);
}

TEST(SmtpdInflight, ASessionEndingMidDataGivesItsShareBack) {
  InflightBudget b(1 << 20);
  {
    auto d = ready_for_data(with_budget(b));
    d->feed("DATA\r\n" + lines(50));
    EXPECT_GE(b.used(), 5000u);
    d->protocol.end_of_input();
    d->pump();
  }
  EXPECT_EQ(b.used(), 0u);
}

TEST(SmtpdInflight, RsetAndEhloGiveTheShareBack) {
  InflightBudget b(1 << 20);
  auto d = ready_for_data(with_budget(b));
  d->feed("DATA\r\nSubject: t\r\n\r\nhi\r\n.\r\n");
  EXPECT_EQ(b.used(), 0u);
  auto e = ready_for_data(with_budget(b));
  e->feed("DATA\r\n" + lines(20));
  EXPECT_GT(b.used(), 0u);
  e->protocol.timed_out();
  e->pump();
  e.reset();
  EXPECT_EQ(b.used(), 0u);
}

}  // namespace
}  // namespace hikyaku::smtpd::test
