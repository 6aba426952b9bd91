// The two-phase commit gate of one message's upstream transactions (see the header).
// DESIGN §1 step 7; RFC 5321 §3.3, §4.1.1.4 (a transaction without its "." is discarded).
#include "relay/commit_gate.hpp"

#include <cassert>

namespace hikyaku::relay {

// Marks the gate busy for one synchronous call. Everything runs on one executor, so a call
// can never find the gate busy; in debug builds it asserts that, catching a second thread.
struct CommitGate::Serial {
  explicit Serial(CommitGate& g) : gate(g) {
    [[maybe_unused]] const bool was_busy = gate.busy_.exchange(true, std::memory_order_acquire);
    assert(!was_busy && "CommitGate used from two threads at once; keep it on one strand");
  }
  ~Serial() { gate.busy_.store(false, std::memory_order_release); }
  Serial(const Serial&) = delete;
  Serial& operator=(const Serial&) = delete;
  CommitGate& gate;
};

CommitGate::CommitGate(asio::any_io_executor executor, size_t parties)
    : executor_(std::move(executor)),
      wake_(executor_, asio::steady_timer::time_point::max()),
      parties_(parties) {}

CommitGate::~CommitGate() = default;

std::shared_ptr<CommitParty> CommitGate::join() {
  auto party = std::make_shared<CommitParty>(shared_from_this());
  Serial serial(*this);
  if (joined_ < parties_) {
    ++joined_;
  } else if (decision_ == CommitDecision::pending) {
    decide(CommitDecision::abort);  // more parties than announced: commit nothing
  }
  return party;
}

void CommitGate::abort() {
  Serial serial(*this);
  if (decision_ == CommitDecision::pending) decide(CommitDecision::abort);
}

void CommitGate::release() {
  Serial serial(*this);
  if (decision_ == CommitDecision::pending) decide(CommitDecision::commit);
}

void CommitGate::hold_late() {
  Serial serial(*this);
  if (late_ == Late::none) late_ = Late::held;
}

void CommitGate::settle_late(bool commit) {
  Serial serial(*this);
  if (late_ != Late::held) return;
  late_ = commit ? Late::commit : Late::abort;
  wake_.cancel();
}

void CommitGate::count_arrival() {
  Serial serial(*this);
  ++arrived_;
  decide_when_everyone_is_in();
}

void CommitGate::count_withdrawal(bool had_arrived) {
  Serial serial(*this);
  if (had_arrived) --arrived_;
  ++withdrawn_;
  decide_when_everyone_is_in();
}

void CommitGate::decide_when_everyone_is_in() {
  if (decision_ != CommitDecision::pending || arrived_ + withdrawn_ < parties_) return;
  decide(arrived_ > 0 ? CommitDecision::commit : CommitDecision::abort);
}

void CommitGate::decide(CommitDecision d) {
  decision_ = d;
  // Completes every pending wait with operation_aborted; the handlers run later on the
  // executor, never inside this call.
  wake_.cancel();
}

asio::awaitable<bool> CommitGate::wait() {
  const auto self = shared_from_this();  // the gate outlives every waiter
  while (decision_ == CommitDecision::pending || late_ == Late::held) {
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return decision_ == CommitDecision::commit && late_ != Late::abort;
}

CommitParty::CommitParty(std::shared_ptr<CommitGate> gate) : gate_(std::move(gate)) {}

CommitParty::~CommitParty() {
  // Gone before the decision (a delivery that ended without arriving, or a waiter torn down):
  // this party will never send its dot, so nobody waits for it.
  if (gate_) withdraw();
}

asio::awaitable<bool> CommitParty::arrive() {
  const auto gate = gate_;
  if (left_) co_return false;  // it left before the decision: it may not send its dot
  if (!arrived_) {
    arrived_ = true;
    gate->count_arrival();
  }
  co_return co_await gate->wait();
}

void CommitParty::withdraw() {
  const bool counts = !withdrawn_ && gate_->decision() == CommitDecision::pending;
  withdrawn_ = true;
  if (!counts) return;
  left_ = true;
  gate_->count_withdrawal(arrived_);
}

}  // namespace hikyaku::relay
