// Two-phase commit across the upstream transactions of one message (DESIGN §1 step 7): each
// transaction sends its whole body but holds the final "." until every other one has either
// got that far or failed, so the dots go out together and the window in which one upstream
// has the message and another is still undecided stays small. A destination that fails does
// not hold back the others: they commit, and the failed part goes to the queue (a temporary
// failure) or gets a DSN (a permanent one). RFC 5321 §3.3, §4.1.1.4: a transaction closed
// without its "." is discarded by the upstream.
#pragma once
#include <atomic>
#include <cstddef>
#include <memory>

#include "core/asio.hpp"

namespace hikyaku::relay {

class CommitParty;

enum class CommitDecision { pending, commit, abort };

// Shared (through shared_ptr: create it with make_shared) by the N transactions of one message.
// Threading: every party's arrive()/withdraw(), join() and abort() must run on the gate's
// executor (one io_context thread, or one strand): nothing is locked. Debug builds assert that
// no two calls overlap.
//
// A decision, once made, stays: commit when every party has arrived or withdrawn and at least
// one arrived (abort when all withdrew), commit at once on release(), abort on abort().
// Waiters are woken through a steady_timer that never expires on its own and is cancelled when
// the decision is made (Asio 1.18 has no cancellation slots).
//
// The gate has no deadline of its own. While a party waits at the gate its upstream waits for
// the rest of the message, and servers give up after their data timeout (RFC 5321
// §4.5.3.2.5/7: 3-5 minutes, against 10 for our final reply). The caller bounds the wait:
// release() the parties that are ready when the slow ones take too long, or abort() when
// nothing more may be committed (the session's budget has passed).
class CommitGate : public std::enable_shared_from_this<CommitGate> {
 public:
  CommitGate(asio::any_io_executor executor, size_t parties);
  CommitGate(const CommitGate&) = delete;
  CommitGate& operator=(const CommitGate&) = delete;
  ~CommitGate();

  // One handle per party; exactly `parties` joins are expected (a party that never joins is
  // never counted as arrived, so the gate could only abort). A join beyond `parties` is a
  // caller bug: it aborts the gate, so nothing is committed on a miscount.
  std::shared_ptr<CommitParty> join();
  // Decides abort now unless already decided: nothing more is committed.
  void abort();
  // Decides commit now unless already decided: the parties waiting send their dot, and so does
  // any that arrives later (the caller stops waiting for slow parties).
  void release();
  // From now on a party that has not yet been let through to its dot waits for settle_late(),
  // whatever the decision: the session moved on at its budget and the dot may go out only once
  // the rest of the message is safely queued (settle_late(true)); when it cannot be, the parties
  // close without their dot (settle_late(false)), so no upstream gets a message whose sender
  // was told 4xx. Parties already past the gate are not affected.
  void hold_late();
  void settle_late(bool commit);
  bool holding_late() const { return late_ == Late::held; }

  CommitDecision decision() const { return decision_; }
  size_t parties() const { return parties_; }
  size_t joined() const { return joined_; }
  size_t arrived() const { return arrived_; }
  size_t withdrawn() const { return withdrawn_; }
  const asio::any_io_executor& executor() const { return executor_; }

 private:
  friend class CommitParty;
  void count_arrival();
  void count_withdrawal(bool had_arrived);
  void decide_when_everyone_is_in();
  void decide(CommitDecision d);
  asio::awaitable<bool> wait();

  asio::any_io_executor executor_;
  asio::steady_timer wake_;  // expires never; cancel() wakes every waiter
  size_t parties_;
  size_t joined_ = 0;
  size_t arrived_ = 0;    // arrived and still there
  size_t withdrawn_ = 0;  // left, arrived or not
  CommitDecision decision_ = CommitDecision::pending;
  enum class Late { none, held, commit, abort };
  Late late_ = Late::none;
  struct Serial;                   // debug check that calls never overlap
  std::atomic<bool> busy_{false};  // set during each call: overlapping calls mean two threads
};

// One party's handle. Shared (an OutboundTransaction and its copies hold it); when the last
// reference goes, the party withdraws unless the gate has already decided, so every exit path
// counts and no other party waits forever for it.
class CommitParty {
 public:
  explicit CommitParty(std::shared_ptr<CommitGate> gate);
  CommitParty(const CommitParty&) = delete;
  CommitParty& operator=(const CommitParty&) = delete;
  ~CommitParty();

  // The party has sent its body and holds the dot: waits for the decision (true: send the dot;
  // false: close without it). Returns at once when the gate has already decided. Arriving
  // again only waits again (it counts once).
  asio::awaitable<bool> arrive();
  // The party will not (or no longer) take part: its delivery failed or ended before the dot.
  // The others no longer wait for it. Does nothing once the gate has decided (so calling it
  // after every delivery, however it ended, is always safe) or when called twice.
  void withdraw();

  bool has_arrived() const { return arrived_; }
  bool has_withdrawn() const { return withdrawn_; }
  const std::shared_ptr<CommitGate>& gate() const { return gate_; }

 private:
  std::shared_ptr<CommitGate> gate_;
  bool arrived_ = false;
  bool withdrawn_ = false;
  bool left_ = false;  // withdrew before the decision: counted out, never commits
};

}  // namespace hikyaku::relay
