// Connection counting per client (core::client_key: an IPv4 address or an IPv6 /64) and in
// total, for the limits of RFC 5321 §3.1's 421 greeting.
#include "smtpd/connection_tracker.hpp"

namespace hikyaku::smtpd {

using core::client_key;

bool ConnectionTracker::try_add(std::string_view ip, size_t max_total, size_t max_per_client) {
  const std::string key = client_key(ip);
  std::lock_guard lock(mu_);
  auto it = per_client_.find(key);
  const size_t mine = it == per_client_.end() ? 0 : it->second;
  if (total_ >= max_total || mine >= max_per_client) return false;
  ++total_;
  if (it == per_client_.end()) {
    per_client_.emplace(key, 1);
  } else {
    ++it->second;
  }
  return true;
}

bool ConnectionTracker::try_move(std::string_view from, std::string_view to, size_t max_per_client) {
  const std::string from_key = client_key(from);
  const std::string to_key = client_key(to);
  if (from_key == to_key) return true;
  std::lock_guard lock(mu_);
  auto src = per_client_.find(from_key);
  if (src == per_client_.end()) return false;
  auto dst = per_client_.find(to_key);
  if (dst != per_client_.end() && dst->second >= max_per_client) return false;
  if (dst == per_client_.end()) {
    per_client_.emplace(to_key, 1);
  } else {
    ++dst->second;
  }
  if (--src->second == 0) per_client_.erase(src);
  return true;
}

void ConnectionTracker::remove(std::string_view ip) {
  const std::string key = client_key(ip);
  std::lock_guard lock(mu_);
  auto it = per_client_.find(key);
  if (it == per_client_.end()) return;
  --total_;
  if (--it->second == 0) per_client_.erase(it);
}

size_t ConnectionTracker::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

size_t ConnectionTracker::count(std::string_view ip) const {
  const std::string key = client_key(ip);
  std::lock_guard lock(mu_);
  auto it = per_client_.find(key);
  return it == per_client_.end() ? 0 : it->second;
}

}  // namespace hikyaku::smtpd
