// Whether the resolver still answers: every query's result is recorded, and the resolver is
// failing once every query for a while has ended in SERVFAIL or a timeout (NXDOMAIN and NODATA
// are answers). `/readyz` turns 503 then: a relay that cannot resolve can only defer mail.
#pragma once
#include <atomic>
#include <chrono>

namespace hikyaku::dns {

class ResolverHealth {
 public:
  using Clock = std::chrono::steady_clock;
  void record(bool answered, Clock::time_point now);
  // True when no query has been answered since the first failure, `window` or more ago.
  bool failing(Clock::duration window, Clock::time_point now) const;

 private:
  // Nanoseconds since the clock's epoch; 0: never.
  std::atomic<Clock::rep> last_answer_{0};
  std::atomic<Clock::rep> first_failure_{0};  // the first failure after the last answer
};

// The process's resolver (dns/unbound_resolver records into it).
ResolverHealth& resolver_health();

}  // namespace hikyaku::dns
