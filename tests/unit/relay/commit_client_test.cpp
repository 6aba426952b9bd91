// The two-phase commit over sockets (DESIGN §1 step 7): two transactions of one message, to two
// loopback FakeSmtpServers, through one CommitGate. Both reach the hold → both send the "." and
// both servers have the message; one fails before the hold (RCPT refused, connection refused)
// → the other still commits; the caller aborts the gate → the others close mid-DATA and their
// servers have NO message (RFC 5321 §3.3: an unfinished transaction is discarded).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "fake_smtp_server.hpp"
#include "loopback.hpp"
#include "relay/commit_gate.hpp"
#include "relay/connection_pool.hpp"
#include "scripted.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;
using namespace std::chrono_literals;
namespace ip = asio::ip;

const std::string kRaw = "From: a@src.example\r\nSubject: both or none\r\n\r\n.dot\r\nend\r\n";

OutboundTransaction held_transaction(const std::shared_ptr<CommitGate>& gate, std::string rcpt,
                                     std::string domain) {
  auto tx = transaction({std::move(rcpt)}, kRaw);
  tx.recipients[0].domain = std::move(domain);
  tx.hold = gate->join();
  return tx;
}

// What the pipeline does for one destination: deliver, then withdraw unless the hold was
// reached (withdraw() after a held outcome would do nothing anyway).
asio::awaitable<ConnectionOutcome> deliver_then_withdraw(asio::any_io_executor ex, std::string host,
                                                         ip::tcp::endpoint ep,
                                                         OutboundTransaction tx,
                                                         ClientOptions options,
                                                         ConnectionPool* pool = nullptr) {
  const auto party = tx.hold;
  std::vector<ip::tcp::endpoint> endpoints{ep};
  auto out = co_await deliver_to_host(ex, std::move(host), std::move(endpoints), std::move(tx),
                                      options, pool);
  if (!out.held) party->withdraw();
  co_return out;
}

bool has_command(const ServerLog& log, const std::string& verb) {
  return std::any_of(log.commands.begin(), log.commands.end(),
                     [&](const std::string& c) { return c.starts_with(verb); });
}

TEST(CommitClient, BothReachTheHoldAndBothServersGetTheMessage) {
  asio::io_context io;
  FakeSmtpServer a(io, "127.0.0.1", {});
  ServerBehavior slow;
  slow.rcpt_delay = 700ms;  // longer than every deadline of the fast side
  FakeSmtpServer b(io, "127.0.0.1", slow);
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  const auto fast = fast_options();  // 400 ms per stage
  auto patient = fast_options();
  patient.timeouts.rcpt = 3s;

  std::vector<asio::awaitable<ConnectionOutcome>> tasks;
  tasks.push_back(deliver_then_withdraw(io.get_executor(), "a.test", a.endpoint(),
                                        held_transaction(gate, "bob", "a.example"), fast));
  tasks.push_back(deliver_then_withdraw(io.get_executor(), "b.test", b.endpoint(),
                                        held_transaction(gate, "carol", "b.example"), patient));
  const auto start = std::chrono::steady_clock::now();
  auto outs = complete_all(io, std::move(tasks));
  const auto took = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(gate->decision(), CommitDecision::commit);
  // A waited at the gate for B's slow RCPT, longer than its own 400 ms deadlines: the wait
  // counts against none of them.
  EXPECT_GE(took, 700ms);
  for (const auto& out : outs) {
    ASSERT_FALSE(out.failure) << out.host << ": " << out.failure->reply.summary();
    EXPECT_TRUE(out.held) << out.host;
    EXPECT_TRUE(out.committed) << out.host;
    ASSERT_EQ(out.result.recipients.size(), 1u);
    EXPECT_TRUE(out.result.all_accepted()) << out.result.recipients[0].reply.summary();
    EXPECT_TRUE(out.result.data_reply.has_value());
  }
  for (const auto* server : {&a, &b}) {
    ASSERT_EQ(server->log().messages.size(), 1u);
    EXPECT_EQ(server->log().messages[0], kRaw);
    EXPECT_TRUE(server->log().unfinished.empty());
    EXPECT_TRUE(has_command(server->log(), "QUIT"));  // a normal end
  }
}

TEST(CommitClient, OneRecipientRefusedDoesNotHoldBackTheOther) {
  asio::io_context io;
  FakeSmtpServer a(io, "127.0.0.1", {});
  ServerBehavior refusing;
  refusing.refuse.insert("carol@b.example");
  refusing.keywords = {"SIZE 10000000", "8BITMIME"};  // no PIPELINING: no DATA after the refusal
  refusing.rcpt_delay = 200ms;                        // A is already waiting at the gate
  FakeSmtpServer b(io, "127.0.0.1", refusing);
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  ConnectionPool pool;
  const auto options = fast_options();
  auto patient = fast_options();
  patient.timeouts.rcpt = 3s;

  std::vector<asio::awaitable<ConnectionOutcome>> tasks;
  tasks.push_back(deliver_then_withdraw(io.get_executor(), "a.test", a.endpoint(),
                                        held_transaction(gate, "bob", "a.example"), options,
                                        &pool));
  tasks.push_back(deliver_then_withdraw(io.get_executor(), "b.test", b.endpoint(),
                                        held_transaction(gate, "carol", "b.example"), patient,
                                        &pool));
  auto outs = complete_all(io, std::move(tasks));
  ASSERT_EQ(outs.size(), 2u);
  const auto& oa = outs[0];
  const auto& ob = outs[1];

  // B's refusal took it out of the gate; A, waiting, then committed.
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
  EXPECT_EQ(gate->withdrawn(), 1u);
  EXPECT_FALSE(ob.failure);
  EXPECT_FALSE(ob.held);
  ASSERT_EQ(ob.result.recipients.size(), 1u);
  EXPECT_EQ(ob.result.recipients[0].reply.code, 550);
  EXPECT_TRUE(b.log().messages.empty());
  EXPECT_FALSE(has_command(b.log(), "DATA"));

  EXPECT_FALSE(oa.failure);
  EXPECT_TRUE(oa.held);
  EXPECT_TRUE(oa.committed);
  ASSERT_EQ(oa.result.recipients.size(), 1u);
  EXPECT_TRUE(oa.result.recipients[0].accepted());
  ASSERT_EQ(a.log().messages.size(), 1u);
  EXPECT_EQ(a.log().messages[0], kRaw);
  EXPECT_EQ(a.log().connections, 1);

  EXPECT_EQ(pool.size(), 2u);  // both connections fit for reuse
  pool.stop();
}

TEST(CommitClient, AFailedConnectionDropsItsPartyAndTheOtherCommits) {
  // B's delivery ends at connect (refused on its only address) and nobody withdraws it
  // explicitly: dropping the transaction (and so the party) does, and A goes ahead.
  asio::io_context io;
  FakeSmtpServer a(io, "127.0.0.1", {});
  const auto refused = closed_port("127.0.0.1");
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  const auto options = fast_options();
  std::vector<asio::awaitable<ConnectionOutcome>> tasks;
  tasks.push_back(deliver_to_host(io.get_executor(), "a.test", {a.endpoint()},
                                  held_transaction(gate, "bob", "a.example"), options));
  tasks.push_back(deliver_to_host(io.get_executor(), "b.test", {refused},
                                  held_transaction(gate, "carol", "b.example"), options));
  auto outs = complete_all(io, std::move(tasks));
  ASSERT_EQ(outs.size(), 2u);
  ASSERT_TRUE(outs[1].failure);
  EXPECT_EQ(outs[1].failure->stage, Stage::connect);
  EXPECT_FALSE(outs[1].held);
  EXPECT_EQ(gate->decision(), CommitDecision::commit);
  EXPECT_TRUE(outs[0].held);
  EXPECT_TRUE(outs[0].committed);
  EXPECT_TRUE(outs[0].result.recipients[0].accepted());
  EXPECT_EQ(a.log().messages.size(), 1u);
  EXPECT_TRUE(a.log().unfinished.empty());
}

TEST(CommitClient, TheCallersDeadlineAbortsEveryoneEvenTheLateParty) {
  // A waits at the gate; B is slow. The caller's deadline aborts the gate before B gets to
  // its hold: A closes at once, and B, arriving later, is told abort at once too. The deadline
  // fires once A is at the gate (looked at every 5 ms, so a busy machine that is slow to get A
  // there cannot let B arrive first); B's RCPT reply takes 2 s.
  asio::io_context io;
  FakeSmtpServer a(io, "127.0.0.1", {});
  ServerBehavior slow;
  slow.rcpt_delay = 2s;
  FakeSmtpServer b(io, "127.0.0.1", slow);
  auto gate = std::make_shared<CommitGate>(io.get_executor(), 2);
  auto patient = fast_options();
  patient.timeouts.rcpt = 10s;
  asio::steady_timer deadline(io);
  bool aborted_while_waiting = false;
  std::function<void(boost::system::error_code)> on_tick = [&](boost::system::error_code) {
    if (gate->arrived() == 0) {
      deadline.expires_after(5ms);
      deadline.async_wait(on_tick);
      return;
    }
    aborted_while_waiting = gate->arrived() == 1;
    gate->abort();
  };
  deadline.expires_after(5ms);
  deadline.async_wait(on_tick);
  std::vector<asio::awaitable<ConnectionOutcome>> tasks;
  tasks.push_back(deliver_then_withdraw(io.get_executor(), "a.test", a.endpoint(),
                                        held_transaction(gate, "bob", "a.example"),
                                        fast_options()));
  tasks.push_back(deliver_then_withdraw(io.get_executor(), "b.test", b.endpoint(),
                                        held_transaction(gate, "carol", "b.example"), patient));
  auto outs = complete_all(io, std::move(tasks));
  EXPECT_TRUE(aborted_while_waiting);
  EXPECT_EQ(gate->decision(), CommitDecision::abort);
  for (const auto& out : outs) {
    EXPECT_FALSE(out.failure);
    EXPECT_TRUE(out.held) << out.host;
    EXPECT_FALSE(out.committed) << out.host;
    EXPECT_EQ(out.result.recipients[0].reply.enhanced, "4.3.0") << out.host;
  }
  for (const auto* server : {&a, &b}) {
    EXPECT_TRUE(server->log().messages.empty());
    ASSERT_EQ(server->log().unfinished.size(), 1u);
    EXPECT_EQ(server->log().unfinished[0], kRaw);
  }
}

}  // namespace
}  // namespace hikyaku::relay
