// Retry schedule arithmetic: doubling delays with a cap, expiry, throttling replies.
#include "queue/retry_schedule.hpp"

#include <algorithm>

namespace hikyaku::queue {

namespace {

std::chrono::seconds doubled(std::chrono::seconds first, std::chrono::seconds longest,
                             std::uint32_t n) {
  const auto cap = std::max(first, longest);
  auto delay = std::max(first, std::chrono::seconds(1));
  for (std::uint32_t i = 1; i < n && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

}  // namespace

std::chrono::seconds retry_delay(const RetryPolicy& policy, std::uint32_t attempts) {
  return doubled(policy.first, policy.longest, std::max<std::uint32_t>(attempts, 1));
}

std::int64_t next_try_after(const RetryPolicy& policy, std::uint32_t attempts, std::int64_t now,
                            std::int64_t arrival) {
  const std::int64_t next = now + retry_delay(policy, attempts).count();
  const std::int64_t expiry = arrival + policy.lifetime.count();
  return std::max(now, std::min(next, expiry));
}

bool expired(const RetryPolicy& policy, std::int64_t arrival, std::int64_t now) {
  return now >= arrival + policy.lifetime.count();
}

bool is_rate_limit(const core::SmtpReply& reply) {
  if (reply.code == 421) return true;
  return reply.transient() && reply.enhanced.rfind("4.7.", 0) == 0;
}

std::chrono::seconds throttle_backoff(const RetryPolicy& policy, std::uint32_t consecutive) {
  return doubled(policy.first, policy.longest, std::max<std::uint32_t>(consecutive, 1));
}

}  // namespace hikyaku::queue
