// InflightBudget: a compare-and-swap counter of reserved message bytes against a limit.
// RFC 3463 §3.4 (X.3.1 mail system full) is the reply sessions give when it is spent.
#include "smtpd/inflight_budget.hpp"

namespace hikyaku::smtpd {

bool InflightBudget::try_reserve(uint64_t n) {
  uint64_t used = used_.load(std::memory_order_relaxed);
  const uint64_t limit = limit_.load(std::memory_order_relaxed);
  do {
    if (used > limit || n > limit - used) return false;
  } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
  return true;
}

void InflightBudget::release(uint64_t n) {
  uint64_t used = used_.load(std::memory_order_relaxed);
  // Never below zero, even if a caller gives back more than it took.
  while (!used_.compare_exchange_weak(used, used >= n ? used - n : 0, std::memory_order_relaxed)) {
  }
}

}  // namespace hikyaku::smtpd
