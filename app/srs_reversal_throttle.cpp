// SrsReversalThrottle: a fixed window per client from its first failed reversal.
#include "app/srs_reversal_throttle.hpp"

namespace hikyaku::app {

bool SrsReversalThrottle::blocked(const std::string& client, Clock::time_point now) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = clients_.find(client);
  if (it == clients_.end()) return false;
  if (now - it->second.start >= window_) {
    clients_.erase(it);
    return false;
  }
  return it->second.failures >= max_failures_;
}

std::int64_t SrsReversalThrottle::record_failure(const std::string& client, Clock::time_point now) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (clients_.size() > kPruneAbove) {
    for (auto it = clients_.begin(); it != clients_.end();) {
      it = now - it->second.start >= window_ ? clients_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = clients_.try_emplace(client, Window{now, 0});
  if (!fresh && now - it->second.start >= window_) it->second = Window{now, 0};
  return ++it->second.failures;
}

std::size_t SrsReversalThrottle::tracked() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return clients_.size();
}

}  // namespace hikyaku::app
