// The one DATA reply (DESIGN §1 step 7) for every mix of destination outcomes.
#include <gtest/gtest.h>

#include "app/data_reply.hpp"

namespace hikyaku::app {
namespace {

relay::DomainOutcome outcome(std::string domain, std::string host,
                             std::vector<core::SmtpReply> replies,
                             std::optional<core::SmtpReply> data_reply = std::nullopt) {
  relay::DomainOutcome o;
  o.domain = domain;
  o.decided.host = host;
  for (size_t i = 0; i < replies.size(); ++i) {
    auto rcpt = *core::parse_mailbox("u" + std::to_string(i) + "@" + domain, false);
    o.decided.result.recipients.push_back({rcpt, replies[i], true});
  }
  o.decided.result.data_reply = data_reply;
  return o;
}

const auto ok = core::SmtpReply::make(250, "2.0.0", "Ok: queued as Q1");
const auto busy = core::SmtpReply::make(450, "4.2.1", "Mailbox busy");
const auto unknown = core::SmtpReply::make(550, "5.1.1", "User unknown");

TEST(DataReply, AllAcceptedCitesUpstreamQueueIds) {
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {ok, ok}, ok),
                               outcome("b.example", "mx.b.example", {ok}, ok)},
                              "T1.1");
  EXPECT_EQ(r.status, MessageStatus::delivered);
  EXPECT_EQ(r.reply.code, 250);
  EXPECT_EQ(r.reply.enhanced, "2.0.0");
  EXPECT_NE(r.reply.lines[0].find("T1.1"), std::string::npos);
  EXPECT_NE(r.reply.lines[0].find("mx.a.example 250 2.0.0 Ok: queued as Q1"), std::string::npos);
  EXPECT_NE(r.reply.lines[0].find("mx.b.example"), std::string::npos);
}

TEST(DataReply, AllPermanentPassesUpstreamThroughWithHost) {
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {unknown})}, "T");
  EXPECT_EQ(r.status, MessageStatus::refused);
  EXPECT_EQ(r.reply.code, 550);
  EXPECT_EQ(r.reply.enhanced, "5.1.1");
  EXPECT_EQ(r.reply.lines[0], "mx.a.example said: 550 5.1.1 User unknown");
}

// The private forwarding target never reaches the sender in a reply: an upstream's echo of it
// (any letter case) shows the address the sender used; spool failures name that address too.
TEST(DataReply, RepliesNeverNameThePrivateTarget) {
  const OriginalRecipients originals{{"u0@a.example", "info@served.example"},
                                     {"u0@b.example", "sales@served.example"}};
  const auto echo = core::SmtpReply::make(550, "5.1.1", "<U0@A.example>: Recipient address rejected");
  auto refused = compose_data_reply({outcome("a.example", "mx.a.example", {echo})}, "T", {}, originals);
  EXPECT_EQ(refused.reply.lines[0],
            "mx.a.example said: 550 5.1.1 <info@served.example>: Recipient address rejected");
  const auto busy_echo = core::SmtpReply::make(450, "4.2.1", "u0@a.example mailbox busy");
  auto deferred = compose_data_reply({outcome("a.example", "mx.a.example", {busy_echo})}, "T", {}, originals);
  EXPECT_EQ(deferred.reply.code, 451);
  EXPECT_EQ(deferred.reply.lines[0].find("u0@a.example"), std::string::npos);
  EXPECT_NE(deferred.reply.lines[0].find("info@served.example mailbox busy"), std::string::npos);

  const auto ok_echo = core::SmtpReply::make(250, "2.0.0", "ok <u0@b.example>");
  auto mixed = compose_data_reply({outcome("b.example", "mx.b.example", {ok_echo}, ok_echo),
                                   outcome("a.example", "mx.a.example", {busy_echo}),
                                   outcome("c.example", "mx.c.example", {echo})},
                                  "T", {}, originals);
  ASSERT_EQ(mixed.status, MessageStatus::queued);
  EXPECT_EQ(mixed.to_queue[0].address, "u0@a.example");  // the queue keeps the real target
  EXPECT_EQ(mixed.to_queue[0].original, "info@served.example");
  EXPECT_EQ(mixed.refused[0].original, "");              // c.example: not in the map
  const auto failure = spool_failure_reply(mixed, "disk full");
  EXPECT_EQ(failure.code, 554);
  for (const auto& line : failure.lines) {
    EXPECT_EQ(line.find("u0@"), std::string::npos) << line;
    EXPECT_NE(line.find("<info@served.example>"), std::string::npos) << line;
    EXPECT_NE(line.find("forwarding target"), std::string::npos) << line;
  }
  EXPECT_EQ(mixed.reply.lines[0].find("u0@b.example"), std::string::npos) << mixed.reply.lines[0];
}

TEST(DataReply, AllTemporaryIs451) {
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {busy})}, "T");
  EXPECT_EQ(r.status, MessageStatus::deferred);
  EXPECT_EQ(r.reply.code, 451);
  EXPECT_EQ(r.reply.enhanced, "4.2.1");
}

TEST(DataReply, TemporaryAndPermanentWithNothingDeliveredIsQueuedNot451) {
  // A 451 would have the sender retry into the same 5xx forever: the temporary part is queued,
  // the refused part gets a DSN.
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {unknown}),
                               outcome("b.example", "mx.b.example", {busy})},
                              "T");
  EXPECT_EQ(r.status, MessageStatus::queued);
  EXPECT_EQ(r.reply.code, 250);
  ASSERT_EQ(r.to_queue.size(), 1u);
  EXPECT_EQ(r.to_queue[0].address, "u0@b.example");
  EXPECT_EQ(r.to_queue[0].domain, "b.example");
  EXPECT_EQ(r.to_queue[0].last_error, "mx.b.example said: 450 4.2.1 Mailbox busy");
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].address, "u0@a.example");
  EXPECT_EQ(r.refused[0].host, "mx.a.example");
  EXPECT_EQ(spool_failure_reply(r, "disk full").code, 452);  // nothing delivered
  EXPECT_EQ(spool_failure_reply(r, "disk full").enhanced, "4.3.1");
}

TEST(DataReply, PartialWithTemporaryFailureQueuesTheRest) {
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {ok}, ok),
                               outcome("b.example", "mx.b.example", {busy})},
                              "T");
  EXPECT_EQ(r.status, MessageStatus::queued);
  EXPECT_EQ(r.delivered, 1u);
  ASSERT_EQ(r.to_queue.size(), 1u);
  EXPECT_TRUE(r.refused.empty());
  const auto reply = queued_reply(r, "T", "QID1", false);
  EXPECT_EQ(reply.code, 250);
  EXPECT_NE(reply.lines[0].find("forwarded (mx.a.example"), std::string::npos);
  EXPECT_NE(reply.lines[0].find("queued as QID1 for 1 recipient(s)"), std::string::npos);
  // Spool full after a part was delivered: never 4xx (a retry duplicates), never 250.
  const auto failed = spool_failure_reply(r, "no space");
  EXPECT_EQ(failed.code, 554);
  EXPECT_EQ(failed.enhanced, "5.3.1");
  EXPECT_NE(failed.lines[0].find("Partially delivered (mx.a.example"), std::string::npos);
  EXPECT_NE(failed.lines[0].find("not delivered to forwarding target"), std::string::npos);  // no map given
}

TEST(DataReply, PartialWithPermanentFailureIs250AndADsn) {
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {ok}, ok),
                               outcome("b.example", "mx.b.example", {unknown})},
                              "T");
  EXPECT_EQ(r.status, MessageStatus::queued);
  EXPECT_TRUE(r.to_queue.empty());
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].reply.code, 550);
  const auto reply = queued_reply(r, "T", "", true);
  EXPECT_EQ(reply.code, 250);
  EXPECT_NE(reply.lines[0].find("1 recipient(s) refused, a delivery status notification follows"),
            std::string::npos);
}

TEST(DataReply, UnfinishedDestinationAtTheBudgetIsQueuedInFlight) {
  const auto placeholder = core::SmtpReply::make(451, "4.4.2", "still running");
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {busy}),
                               outcome("b.example", "", {placeholder})},
                              "T", {false, true});
  EXPECT_EQ(r.status, MessageStatus::queued);  // not 451: the queue has it
  ASSERT_EQ(r.to_queue.size(), 2u);
  EXPECT_FALSE(r.to_queue[0].in_flight);
  EXPECT_TRUE(r.to_queue[1].in_flight);
  EXPECT_EQ(r.to_queue[1].domain, "b.example");
}

TEST(DataReply, OwnFailureHasNoHostPrefix) {
  auto null_mx = core::SmtpReply::make(556, "5.1.10", "Recipient address has null MX");
  auto r = compose_data_reply({outcome("n.example", "", {null_mx})}, "T");
  EXPECT_EQ(r.reply.code, 556);
  EXPECT_EQ(r.reply.enhanced, "5.1.10");
  EXPECT_EQ(r.reply.lines[0], "Recipient address has null MX");
}

TEST(DataReply, UpstreamCodeWithoutEnhancedGetsADefault) {
  auto bare = core::SmtpReply::make(554, "", "no");
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {bare})}, "T");
  EXPECT_EQ(r.reply.enhanced, "5.0.0");
  auto bare4 = core::SmtpReply::make(421, "", "later");
  EXPECT_EQ(compose_data_reply({outcome("a.example", "mx", {bare4})}, "T").reply.enhanced, "4.4.0");
}

TEST(DataReply, TransactionAbortedForAnotherDestinationIsQueued) {
  const auto not_committed = core::SmtpReply::make(451, "4.3.0", "transaction not committed");
  auto held = outcome("a.example", "mx.a.example", {not_committed});
  held.decided.held = true;
  held.decided.committed = false;
  auto r = compose_data_reply({held, outcome("b.example", "mx.b.example", {unknown})}, "T");
  // a.example would have taken it: queued (retried without the gate), b.example bounced.
  EXPECT_EQ(r.status, MessageStatus::queued);
  EXPECT_EQ(r.reply.code, 250);
  ASSERT_EQ(r.to_queue.size(), 1u);
  EXPECT_EQ(r.to_queue[0].domain, "a.example");
  ASSERT_EQ(r.refused.size(), 1u);
  // All held and none committed (the commit deadline passed): temporary.
  auto r2 = compose_data_reply({held, held}, "T");
  EXPECT_EQ(r2.status, MessageStatus::deferred);
  EXPECT_EQ(r2.reply.code, 451);
}

// RFC 5321 §4.5.3.1.5: a reply naming many destinations or recipients names the first three
// and counts the rest; and whatever its length, no line of it passes 512 octets.
TEST(DataReply, ManyDestinationsAreSummarised) {
  std::vector<relay::DomainOutcome> outcomes;
  for (int i = 0; i < 40; ++i) {
    const std::string d = "d" + std::to_string(i) + ".example";
    outcomes.push_back(outcome(d, "mx." + d, {ok}, ok));
  }
  auto r = compose_data_reply(outcomes, "T1.1");
  EXPECT_EQ(r.status, MessageStatus::delivered);
  EXPECT_NE(r.reply.lines[0].find("mx.d2.example 250"), std::string::npos);
  EXPECT_EQ(r.reply.lines[0].find("mx.d3.example"), std::string::npos);
  EXPECT_NE(r.reply.lines[0].find("and 37 more"), std::string::npos) << r.reply.lines[0];
  const std::string wire = r.reply.render();
  for (size_t pos = 0; pos < wire.size();) {
    const size_t eol = wire.find("\r\n", pos);
    ASSERT_NE(eol, std::string::npos);
    EXPECT_LE(eol + 2 - pos, core::kMaxReplyLine);
    pos = eol + 2;
  }
}

TEST(DataReply, SpoolFailureNamesAFewRecipientsAndCountsTheRest) {
  std::vector<core::SmtpReply> busy_all(30, busy);
  OriginalRecipients originals;
  for (int i = 0; i < 30; ++i) originals["u" + std::to_string(i) + "@b.example"] = "r" + std::to_string(i) + "@served.example";
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {ok}, ok),
                               outcome("b.example", "mx.b.example", busy_all)},
                              "T", {}, originals);
  ASSERT_EQ(r.status, MessageStatus::queued);
  const auto failure = spool_failure_reply(r, "disk full");
  EXPECT_EQ(failure.code, 554);
  EXPECT_EQ(failure.lines[0],
            "Partially delivered (mx.a.example 250 2.0.0 Ok: queued as Q1); not delivered to "
            "<r0@served.example> <r1@served.example> <r2@served.example> and 27 more: cannot queue the rest "
            "(disk full)");
}

TEST(DataReply, LongUpstreamRefusalIsPassedBackAsAMultilineReply) {
  core::SmtpReply upstream;
  upstream.code = 550;
  upstream.enhanced = "5.7.1";
  for (int i = 0; i < 8; ++i) upstream.lines.push_back("policy line " + std::to_string(i) + std::string(90, 'p'));
  auto r = compose_data_reply({outcome("a.example", "mx.a.example", {upstream})}, "T");
  ASSERT_EQ(r.status, MessageStatus::refused);
  const std::string wire = r.reply.render();
  size_t lines = 0;
  for (size_t pos = 0; pos < wire.size(); ++lines) {
    const size_t eol = wire.find("\r\n", pos);
    ASSERT_NE(eol, std::string::npos);
    EXPECT_LE(eol + 2 - pos, core::kMaxReplyLine);
    EXPECT_EQ(wire.substr(pos, 10), eol + 2 == wire.size() ? "550 5.7.1 " : "550-5.7.1 ");
    pos = eol + 2;
  }
  EXPECT_GE(lines, 2u);
  EXPECT_NE(wire.find("policy line 7"), std::string::npos);
}

}  // namespace
}  // namespace hikyaku::app
