// Two-phase commit across the upstream transactions of one message (DESIGN §1 step 7): each
// transaction sends its whole body but holds the final "." until every one has got that far;
// if any fails first, the others close without the dot, so the upstream discards the
// incomplete transaction (RFC 5321 §3.3, §4.1.1.4) and the sender gets one clean reply.
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
// A decision, once made, stays: commit when all N parties have arrived, abort as soon as one
// withdraws (or abort() is called) before that. Waiters are woken through a steady_timer that
// never expires on its own and is cancelled when the decision is made (Asio 1.18 has no
// cancellation slots).
//
// The gate has no deadline of its own. While a party waits at the gate its upstream waits for
// the rest of the message, and servers give up after their data timeout (RFC 5321
// §4.5.3.2.5/7: 3-5 minutes, against 10 for our final reply). The caller bounds the wait:
// withdraw() a party that is too slow, or abort() the gate; either wakes every waiter with
// false at once.
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
  // Decides abort now unless already decided (the caller's overall deadline).
  void abort();

  CommitDecision decision() const { return decision_; }
  size_t parties() const { return parties_; }
  size_t joined() const { return joined_; }
  size_t arrived() const { return arrived_; }
  const asio::any_io_executor& executor() const { return executor_; }

 private:
  friend class CommitParty;
  void count_arrival();
  void decide(CommitDecision d);
  asio::awaitable<bool> wait();

  asio::any_io_executor executor_;
  asio::steady_timer wake_;  // expires never; cancel() wakes every waiter
  size_t parties_;
  size_t joined_ = 0;
  size_t arrived_ = 0;
  CommitDecision decision_ = CommitDecision::pending;
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

  // The party has sent its body and holds the dot: waits until every party has arrived (true:
  // send the dot) or any withdrew (false: close without it). Returns at once when the gate has
  // already decided. Arriving again only waits again (it counts once).
  asio::awaitable<bool> arrive();
  // The party will not (or no longer) take part: its delivery failed or ended before the dot,
  // or the caller gives up on it. Aborts the gate unless it has decided already (then this
  // does nothing, so calling it after every delivery, however it ended, is always safe).
  void withdraw();

  bool has_arrived() const { return arrived_; }
  bool has_withdrawn() const { return withdrawn_; }
  const std::shared_ptr<CommitGate>& gate() const { return gate_; }

 private:
  std::shared_ptr<CommitGate> gate_;
  bool arrived_ = false;
  bool withdrawn_ = false;
};

}  // namespace hikyaku::relay
