// ClientProtocol with a hold (the two-phase commit of DESIGN §1 step 7), driven by scripted
// server bytes: Hold comes right after the whole body and before the final "." (RFC 5321
// §4.1.1.4); commit sends the dot and takes the final reply with fresh deadlines; abort sends
// nothing more and makes up 451 4.3.0 for the accepted recipients; no Hold when the transaction
// ends before DATA's 354 or without an accepted recipient.
#include <gtest/gtest.h>

#include "relay/client_protocol.hpp"
#include "scripted.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;
using client_action::Closed;
using client_action::Done;
using client_action::Hold;
using client_action::NeedInput;

const std::string kBody = "Subject: hi\r\n\r\n.dot\r\nbody\r\n";

TEST(ClientHold, PipelinedHoldsAfterTheBodyThenCommits) {
  ClientSettings cs = settings();
  cs.timeouts.data_block = std::chrono::seconds(7);
  cs.timeouts.final_reply = std::chrono::seconds(11);
  ClientProtocol p(cs);
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob", "carol"}, kBody), EndOfData::hold);
  Step s = run(p);
  ASSERT_TRUE(s.is<NeedInput>());
  s = feed(p, "250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n354 go\r\n");
  // The whole body, dot-stuffed, but not the end of data.
  EXPECT_EQ(s.sent, "Subject: hi\r\n\r\n..dot\r\nbody\r\n");
  ASSERT_TRUE(s.is<Hold>());
  EXPECT_FALSE(p.usable());
  // Asking again changes nothing: nothing is read or written while held.
  s = run(p);
  EXPECT_EQ(s.sent, "");
  ASSERT_TRUE(s.is<Hold>());

  p.release(true);
  s = run(p);
  EXPECT_EQ(s.sent, ".\r\n");
  ASSERT_EQ(s.send_timeouts.size(), 1u);
  EXPECT_EQ(s.send_timeouts[0], std::chrono::seconds(7));  // a fresh data_block deadline
  ASSERT_TRUE(s.is<NeedInput>());
  EXPECT_EQ(s.as<NeedInput>().timeout, std::chrono::seconds(11));
  s = feed(p, "250 2.0.0 Ok: queued as 7Q\r\n");
  ASSERT_TRUE(s.is<Done>());
  const auto& r = s.as<Done>().result;
  ASSERT_EQ(r.recipients.size(), 2u);
  EXPECT_EQ(r.recipients[0].reply.summary(), "250 2.0.0 Ok: queued as 7Q");
  EXPECT_TRUE(r.recipients[0].from_upstream);
  EXPECT_EQ(r.recipients[1].reply.code, 550);
  ASSERT_TRUE(r.data_reply.has_value());
  EXPECT_FALSE(r.maybe_delivered);
  EXPECT_TRUE(p.usable());  // reusable as without a hold
}

TEST(ClientHold, TheDeadlineForTheFinalReplyStartsAfterTheRelease) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}, kBody), EndOfData::hold);
  Step s = run(p);
  ASSERT_TRUE(s.is<NeedInput>());
  const uint64_t before = s.as<NeedInput>().wait;
  s = feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  ASSERT_TRUE(s.is<Hold>());
  p.release(true);
  s = run(p);
  ASSERT_TRUE(s.is<NeedInput>());
  const uint64_t first = s.as<NeedInput>().wait;
  EXPECT_GT(first, before);  // a new wait: its deadline runs from now, not from before the hold
  // The reply trickles in: the same wait number, one deadline for the whole reply.
  s = feed(p, "250 2.0.0 ");
  ASSERT_TRUE(s.is<NeedInput>());
  EXPECT_EQ(s.as<NeedInput>().wait, first);
  s = feed(p, "queued\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_TRUE(s.as<Done>().result.all_accepted());
}

TEST(ClientHold, AbortSendsNothingMoreAndMakesUpA451) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob", "carol", "dave"}, kBody), EndOfData::hold);
  run(p);
  Step s = feed(p, "250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n354 go\r\n");
  ASSERT_TRUE(s.is<Hold>());
  p.release(false);
  s = run(p);
  EXPECT_EQ(s.sent, "");  // no ".", no QUIT
  ASSERT_TRUE(s.is<Done>());
  const auto& r = s.as<Done>().result;
  ASSERT_EQ(r.recipients.size(), 3u);
  for (size_t i : {0u, 2u}) {
    EXPECT_EQ(r.recipients[i].reply.summary(),
              "451 4.3.0 Upstream mx.dest.example: transaction not committed: another "
              "destination of this message failed")
        << i;
    EXPECT_FALSE(r.recipients[i].from_upstream);
  }
  EXPECT_EQ(r.recipients[1].reply.summary(), "550 5.1.1 no such user");
  EXPECT_TRUE(r.recipients[1].from_upstream);
  EXPECT_FALSE(r.data_reply.has_value());
  EXPECT_FALSE(r.maybe_delivered);  // no "." went out: nothing can have been delivered
  EXPECT_EQ(r.accepted_count(), 0u);
  EXPECT_FALSE(p.usable());  // mid-DATA: only closing the connection ends it
  s = run(p);
  EXPECT_EQ(s.sent, "");
  EXPECT_TRUE(s.is<Closed>());
  p.release(true);  // too late: ignored
  EXPECT_EQ(run(p).sent, "");
}

TEST(ClientHold, OneByOneHoldsAfterTheLastChunk) {
  ClientSettings cs = settings();
  cs.body_chunk = 5;  // several writes
  ClientProtocol p(cs);
  open_session(p, kNoPipelining);
  p.begin(transaction({"bob"}, kBody), EndOfData::hold);
  run(p);
  feed(p, "250 ok\r\n");
  Step s = feed(p, "250 ok\r\n");
  EXPECT_EQ(s.sent, "DATA\r\n");
  s = feed(p, "354 go\r\n");
  EXPECT_EQ(s.sent, "Subject: hi\r\n\r\n..dot\r\nbody\r\n");
  EXPECT_GT(s.send_timeouts.size(), 1u);
  ASSERT_TRUE(s.is<Hold>());
  p.release(true);
  s = run(p);
  EXPECT_EQ(s.sent, ".\r\n");
  s = feed(p, "250 ok\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_TRUE(s.as<Done>().result.all_accepted());
}

TEST(ClientHold, AMessageWithoutAFinalCrlfGetsItBeforeTheHold) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}, "Subject: hi\r\n\r\nno newline"), EndOfData::hold);
  run(p);
  Step s = feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  EXPECT_EQ(s.sent, "Subject: hi\r\n\r\nno newline\r\n");
  ASSERT_TRUE(s.is<Hold>());
  p.release(true);
  EXPECT_EQ(run(p).sent, ".\r\n");
}

TEST(ClientHold, NoHoldWhenEveryRecipientIsRefused) {
  {
    // One by one: no DATA at all.
    ClientProtocol p(settings());
    open_session(p, kNoPipelining);
    p.begin(transaction({"bob", "carol"}, kBody), EndOfData::hold);
    run(p);
    feed(p, "250 ok\r\n");
    feed(p, "550 5.1.1 no\r\n");
    Step s = feed(p, "550 5.1.1 no\r\n");
    EXPECT_EQ(s.sent, "");
    ASSERT_TRUE(s.is<Done>());
    EXPECT_TRUE(s.as<Done>().result.all_permanent());
    EXPECT_TRUE(p.usable());
  }
  {
    // Pipelined, and the server accepts DATA anyway (RFC 2920 §3.1): the lone dot, no Hold.
    ClientProtocol p(settings());
    open_session(p, kFullEsmtp);
    p.begin(transaction({"bob"}, kBody), EndOfData::hold);
    run(p);
    Step s = feed(p, "250 ok\r\n550 5.1.1 no\r\n354 go\r\n");
    EXPECT_EQ(s.sent, ".\r\n");
    ASSERT_TRUE(s.is<NeedInput>());
    s = feed(p, "554 5.5.1 no valid recipients\r\n");
    ASSERT_TRUE(s.is<Done>());
    EXPECT_EQ(s.as<Done>().result.recipients[0].reply.code, 550);
  }
}

TEST(ClientHold, NoHoldWhenTheTransactionEndsEarlier) {
  {
    ClientProtocol p(settings());
    open_session(p, kFullEsmtp);
    p.begin(transaction({"bob"}, kBody), EndOfData::hold);
    run(p);
    Step s = feed(p, "250 ok\r\n250 ok\r\n451 4.3.0 try later\r\n");  // DATA refused
    ASSERT_TRUE(s.is<Done>());
    EXPECT_TRUE(s.as<Done>().result.all_temporary());
  }
  {
    // A local check before any command (SIZE): Done at once.
    ClientProtocol p(settings());
    open_session(p, {"SIZE 10"});
    p.begin(transaction({"bob"}, kBody), EndOfData::hold);
    Step s = run(p);
    EXPECT_EQ(s.sent, "");
    ASSERT_TRUE(s.is<Done>());
    EXPECT_EQ(s.as<Done>().result.recipients[0].reply.code, 552);
  }
}

TEST(ClientHold, LosingTheConnectionWhileHeldIsNotADelivery) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}, kBody), EndOfData::hold);
  run(p);
  ASSERT_TRUE(feed(p, "250 ok\r\n250 ok\r\n354 go\r\n").is<Hold>());
  p.connection_lost("reset");
  Step s = run(p);
  EXPECT_EQ(s.sent, "");
  ASSERT_TRUE(s.is<Done>());
  const auto& r = s.as<Done>().result;
  EXPECT_EQ(r.recipients[0].reply.code, 451);
  EXPECT_FALSE(r.maybe_delivered);
  EXPECT_FALSE(p.usable());
}

TEST(ClientHold, WithoutAHoldTheDotFollowsTheBody) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}));
  run(p);
  Step s = feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  EXPECT_EQ(s.sent, "Subject: hi\r\n\r\nbody\r\n.\r\n");
  EXPECT_TRUE(s.is<NeedInput>());
  p.release(false);  // not held: ignored
  s = feed(p, "250 ok\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_TRUE(s.as<Done>().result.all_accepted());
}

TEST(ClientHold, ASecondTransactionOnTheConnectionHoldsAgain) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}, kBody), EndOfData::hold);
  run(p);
  ASSERT_TRUE(feed(p, "250 ok\r\n250 ok\r\n354 go\r\n").is<Hold>());
  p.release(true);
  run(p);
  ASSERT_TRUE(feed(p, "250 ok\r\n").is<Done>());
  ASSERT_TRUE(p.usable());
  p.begin(transaction({"carol"}, kBody), EndOfData::hold);
  Step s = run(p);
  EXPECT_EQ(s.sent, "RSET\r\n");
  feed(p, "250 ok\r\n");
  s = feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  ASSERT_TRUE(s.is<Hold>());
  EXPECT_EQ(s.sent, "Subject: hi\r\n\r\n..dot\r\nbody\r\n");
}

}  // namespace
}  // namespace hikyaku::relay
