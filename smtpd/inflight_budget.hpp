// The process-wide budget of message bytes held in memory at once (server.max_inflight_bytes):
// sessions reserve what their DATA holds as it arrives and give it back when the message ends.
// Past it: 452 4.3.1 "Insufficient system storage" (RFC 3463 §3.4, RFC 5321 §4.2.3).
#pragma once
#include <atomic>
#include <cstdint>

namespace hikyaku::smtpd {

// Thread-safe; shared by every session of the process (kept across configuration reloads).
class InflightBudget {
 public:
  explicit InflightBudget(uint64_t limit = UINT64_MAX) : limit_(limit) {}
  // A reload may change the limit; reservations already made stay.
  void set_limit(uint64_t limit) { limit_.store(limit, std::memory_order_relaxed); }
  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  // No byte is left: a new message is not started.
  bool exhausted() const { return used() >= limit(); }
  // Takes `n` bytes when they fit under the limit; false (nothing taken) when not.
  bool try_reserve(uint64_t n);
  void release(uint64_t n);

 private:
  std::atomic<uint64_t> limit_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace hikyaku::smtpd
