// CommitGate alone (DESIGN §1 step 7): commit when every party arrived or withdrew (waiters
// wake at once), abort only when all withdrew or on abort(), release() at the deadline, a
// party dropped without arriving withdraws, decisions stay, one party, a miscount.
// Single-threaded io_context, polled: no timing involved.
#include "relay/commit_gate.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace hikyaku::relay {
namespace {

// Starts `party->arrive()` on `io`; `out` is set when it returns.
void spawn_arrive(asio::io_context& io, std::shared_ptr<CommitParty> party,
                  std::optional<bool>& out) {
  asio::co_spawn(
      io,
      [](std::shared_ptr<CommitParty> p) -> asio::awaitable<bool> {
        co_return co_await p->arrive();
      }(std::move(party)),
      [&out](std::exception_ptr e, bool v) {
        if (!e) out = v;
      });
}

void poll(asio::io_context& io) {
  io.restart();
  io.poll();
}

TEST(CommitGate, AllArriveThenEveryoneCommits) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 3);
  auto a = gate->join(), b = gate->join(), c = gate->join();
  EXPECT_EQ(gate->joined(), 3u);
  std::optional<bool> ra, rb, rc;
  spawn_arrive(io, a, ra);
  spawn_arrive(io, b, rb);
  poll(io);
  // Two of three: both wait.
  EXPECT_FALSE(ra.has_value());
  EXPECT_FALSE(rb.has_value());
  EXPECT_EQ(gate->arrived(), 2u);
  EXPECT_EQ(gate->decision(), CommitDecision::pending);
  spawn_arrive(io, c, rc);
  poll(io);
  ASSERT_TRUE(ra && rb && rc);
  EXPECT_TRUE(*ra);
  EXPECT_TRUE(*rb);
  EXPECT_TRUE(*rc);
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
  EXPECT_TRUE(a->has_arrived());
}

// One destination failing (greylisted at RCPT, a dropped connection) must not hold back the
// others: they commit once everyone else has arrived or left.
TEST(CommitGate, WithdrawBeforeAnyArrivalLetsTheOthersCommit) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 3);
  auto a = gate->join(), b = gate->join(), c = gate->join();
  a->withdraw();
  EXPECT_EQ(gate->decision(), CommitDecision::pending);
  EXPECT_TRUE(a->has_withdrawn());
  EXPECT_EQ(gate->withdrawn(), 1u);
  std::optional<bool> rb, rc;
  spawn_arrive(io, b, rb);
  poll(io);
  EXPECT_FALSE(rb.has_value());  // c is still on its way
  spawn_arrive(io, c, rc);
  poll(io);
  ASSERT_TRUE(rb && rc);
  EXPECT_TRUE(*rb);
  EXPECT_TRUE(*rc);
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
  std::optional<bool> ra;
  spawn_arrive(io, a, ra);  // a party that left may not send its dot after all
  poll(io);
  ASSERT_TRUE(ra.has_value());
  EXPECT_FALSE(*ra);
}

TEST(CommitGate, TheLastWithdrawalCommitsThoseWaiting) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 3);
  auto a = gate->join(), b = gate->join(), c = gate->join();
  std::optional<bool> ra, rb;
  spawn_arrive(io, a, ra);
  spawn_arrive(io, b, rb);
  poll(io);
  ASSERT_FALSE(ra.has_value());
  ASSERT_FALSE(rb.has_value());
  c->withdraw();
  poll(io);  // woken without waiting for anything else
  ASSERT_TRUE(ra && rb);
  EXPECT_TRUE(*ra);
  EXPECT_TRUE(*rb);
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
  c->withdraw();  // again: harmless
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
  EXPECT_EQ(gate->withdrawn(), 1u);
}

TEST(CommitGate, EveryoneWithdrawingAborts) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  auto a = gate->join(), b = gate->join();
  a->withdraw();
  EXPECT_EQ(gate->decision(), CommitDecision::pending);
  b->withdraw();
  EXPECT_EQ(gate->decision(), CommitDecision::abort);
}

TEST(CommitGate, AnArrivedPartyWithdrawingNoLongerCounts) {
  // A party torn down while it waits will not send its dot; the other still may.
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  auto a = gate->join(), b = gate->join();
  std::optional<bool> ra;
  spawn_arrive(io, a, ra);
  poll(io);
  ASSERT_FALSE(ra.has_value());
  EXPECT_EQ(gate->arrived(), 1u);
  a->withdraw();
  EXPECT_EQ(gate->arrived(), 0u);
  EXPECT_EQ(gate->decision(), CommitDecision::pending);
  std::optional<bool> rb;
  spawn_arrive(io, b, rb);
  poll(io);
  ASSERT_TRUE(rb.has_value());
  EXPECT_TRUE(*rb);
  ASSERT_TRUE(ra.has_value());
  EXPECT_TRUE(*ra);  // woken by the decision; its caller has already given up on it
}

TEST(CommitGate, DroppingAPartyWithoutArrivingWithdrawsIt) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  auto a = gate->join();
  auto b = gate->join();
  std::optional<bool> ra;
  spawn_arrive(io, a, ra);
  poll(io);
  ASSERT_FALSE(ra.has_value());
  b.reset();  // its delivery ended on a path that neither arrived nor withdrew
  poll(io);
  ASSERT_TRUE(ra.has_value());
  EXPECT_TRUE(*ra);
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
}

TEST(CommitGate, ReleaseCommitsTheWaitingAndLaterArrivals) {
  // The commit deadline: those ready go, the slow one goes when it gets there.
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  auto a = gate->join(), b = gate->join();
  std::optional<bool> ra, rb;
  spawn_arrive(io, a, ra);
  poll(io);
  ASSERT_FALSE(ra.has_value());
  gate->release();
  poll(io);
  ASSERT_TRUE(ra.has_value());
  EXPECT_TRUE(*ra);
  spawn_arrive(io, b, rb);
  poll(io);
  ASSERT_TRUE(rb.has_value());
  EXPECT_TRUE(*rb);
  gate->abort();  // decided already: no effect
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
}

TEST(CommitGate, DroppingPartiesAfterACommitChangesNothing) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  auto a = gate->join(), b = gate->join();
  std::optional<bool> ra, rb;
  spawn_arrive(io, a, ra);
  spawn_arrive(io, b, rb);
  poll(io);
  ASSERT_TRUE(ra && rb && *ra && *rb);
  a.reset();
  b.reset();
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
}

TEST(CommitGate, ADecisionStays) {
  asio::io_context io;
  {
    auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
    auto a = gate->join(), b = gate->join();
    std::optional<bool> ra, rb;
    spawn_arrive(io, a, ra);
    spawn_arrive(io, b, rb);
    poll(io);
    ASSERT_EQ(gate->decision(), CommitDecision::commit);
    a->withdraw();  // too late: committed
    gate->abort();
    EXPECT_EQ(gate->decision(), CommitDecision::commit);
    std::optional<bool> again;
    spawn_arrive(io, a, again);  // arriving again only asks again
    poll(io);
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(*again);
    EXPECT_EQ(gate->arrived(), 2u);  // counted once
  }
  {
    auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
    auto a = gate->join(), b = gate->join();
    gate->abort();  // the caller's deadline
    std::optional<bool> ra, rb;
    spawn_arrive(io, a, ra);
    spawn_arrive(io, b, rb);
    poll(io);
    ASSERT_TRUE(ra && rb);
    EXPECT_FALSE(*ra);
    EXPECT_FALSE(*rb);  // every party arrived, but abort stays abort
    EXPECT_EQ(gate->decision(), CommitDecision::abort);
  }
}

TEST(CommitGate, AbortWakesWaiters) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  auto a = gate->join(), b = gate->join();
  std::optional<bool> ra;
  spawn_arrive(io, a, ra);
  poll(io);
  ASSERT_FALSE(ra.has_value());
  gate->abort();
  poll(io);
  ASSERT_TRUE(ra.has_value());
  EXPECT_FALSE(*ra);
}

TEST(CommitGate, OnePartyCommitsOnArrival) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 1);
  auto a = gate->join();
  std::optional<bool> ra;
  spawn_arrive(io, a, ra);
  poll(io);
  ASSERT_TRUE(ra.has_value());
  EXPECT_TRUE(*ra);
}

TEST(CommitGate, JoiningMorePartiesThanAnnouncedAborts) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 1);
  auto a = gate->join();
  auto extra = gate->join();
  EXPECT_EQ(gate->joined(), 1u);
  EXPECT_EQ(gate->decision(), CommitDecision::abort);
  std::optional<bool> ra;
  spawn_arrive(io, a, ra);
  poll(io);
  ASSERT_TRUE(ra.has_value());
  EXPECT_FALSE(*ra);
}

TEST(CommitGate, AWaiterKeepsTheGateAlive) {
  // Only the parties hold the gate; a waiting party's coroutine keeps it (and its timer) alive.
  asio::io_context io;
  std::optional<bool> ra;
  std::weak_ptr<CommitGate> weak;
  std::shared_ptr<CommitParty> b;
  {
    auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
    weak = gate;
    auto a = gate->join();
    b = gate->join();
    spawn_arrive(io, std::move(a), ra);
  }
  poll(io);
  EXPECT_FALSE(weak.expired());
  ASSERT_FALSE(ra.has_value());
  std::optional<bool> rb;
  spawn_arrive(io, std::move(b), rb);
  poll(io);
  ASSERT_TRUE(ra && rb);
  EXPECT_TRUE(*ra);
  EXPECT_TRUE(*rb);
  EXPECT_TRUE(weak.expired());  // every party done: the gate is gone
}

// After the session budget (hold_late) a party not yet through waits for the spool's verdict,
// even when the gate had already decided commit; a party already through is unaffected.
TEST(CommitGate, HeldLateAPartyWaitsForTheVerdictThenAborts) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  auto a = gate->join(), b = gate->join();
  gate->release();  // commit_timeout passed: late arrivals would commit at once
  std::optional<bool> ra, rb;
  spawn_arrive(io, a, ra);
  poll(io);
  ASSERT_TRUE(ra.has_value());
  EXPECT_TRUE(*ra);  // through before the budget
  gate->hold_late();
  EXPECT_TRUE(gate->holding_late());
  spawn_arrive(io, b, rb);
  poll(io);
  EXPECT_FALSE(rb.has_value());  // waits for the spool write
  gate->settle_late(false);      // it failed: no dot
  poll(io);
  ASSERT_TRUE(rb.has_value());
  EXPECT_FALSE(*rb);
  gate->settle_late(true);  // a verdict stays
  EXPECT_FALSE(gate->holding_late());
}

TEST(CommitGate, HeldLateOnePartyCommitsOnceQueued) {
  asio::io_context io;
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 1);
  auto a = gate->join();
  gate->hold_late();
  std::optional<bool> ra;
  spawn_arrive(io, a, ra);
  poll(io);
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
  EXPECT_FALSE(ra.has_value());
  gate->settle_late(true);
  poll(io);
  ASSERT_TRUE(ra.has_value());
  EXPECT_TRUE(*ra);
}

}  // namespace
}  // namespace hikyaku::relay
