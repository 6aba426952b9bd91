// When a queued message is tried again (DESIGN §1 step 7): the first retry after retry_interval,
// later ones doubling up to max_retry_interval, until max_lifetime (RFC 5321 §4.5.4.1: retry at
// least 30 minutes apart, give up after 4-5 days). Also which upstream replies mean "slow down"
// (421, RFC 5321 §4.2.2, or an enhanced 4.7.x policy code, RFC 3463 §3.8). Pure; time is an argument.
#pragma once
#include <chrono>
#include <cstdint>

#include "core/smtp_reply.hpp"

namespace hikyaku::queue {

struct RetryPolicy {
  std::chrono::seconds first{300};          // [queue] retry_interval
  std::chrono::seconds longest{3600};       // [queue] max_retry_interval
  std::chrono::seconds lifetime{5 * 86400};  // [queue] max_lifetime
};

// The delay after `attempts` failed attempts (1 = the first, in the session): first * 2^(n-1),
// capped at `longest` (never below `first`).
std::chrono::seconds retry_delay(const RetryPolicy& policy, std::uint32_t attempts);

// Unix seconds of the next try after the `attempts`-th failure at `now`; never past the moment
// the message expires (so the expiry is noticed on time).
std::int64_t next_try_after(const RetryPolicy& policy, std::uint32_t attempts, std::int64_t now,
                            std::int64_t arrival);

// True once a message that arrived at `arrival` has been queued for max_lifetime.
bool expired(const RetryPolicy& policy, std::int64_t arrival, std::int64_t now);

// A reply that asks us to slow down for the whole destination: 421 (service closing, the
// usual throttling answer of large providers) or a 4xx with an enhanced 4.7.x code (policy,
// e.g. 4.7.28 "rate limited", 4.7.0 "try again later").
bool is_rate_limit(const core::SmtpReply& reply);

// How long a destination that throttled us `consecutive` times in a row (1 = the first) is left
// alone: first * 2^(n-1), capped at `longest`.
std::chrono::seconds throttle_backoff(const RetryPolicy& policy, std::uint32_t consecutive);

}  // namespace hikyaku::queue
