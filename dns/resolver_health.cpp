// dns/resolver_health: two timestamps, updated lock-free from any thread.
#include "dns/resolver_health.hpp"

namespace hikyaku::dns {

void ResolverHealth::record(bool answered, Clock::time_point now) {
  const Clock::rep t = now.time_since_epoch().count();
  if (answered) {
    last_answer_.store(t);
    first_failure_.store(0);
    return;
  }
  Clock::rep none = 0;
  first_failure_.compare_exchange_strong(none, t);  // keeps the first one
}

bool ResolverHealth::failing(Clock::duration window, Clock::time_point now) const {
  const Clock::rep first = first_failure_.load();
  if (first == 0) return false;
  return now - Clock::time_point(Clock::duration(first)) >= window;
}

ResolverHealth& resolver_health() {
  static ResolverHealth health;
  return health;
}

}  // namespace hikyaku::dns
