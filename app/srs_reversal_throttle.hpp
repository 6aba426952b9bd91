// Failed SRS reversals at RCPT counted per client (core::client_key: an IPv4 address or an IPv6
// /64) over a window: past the limit, that client's further RCPTs to SRS addresses are refused
// for the rest of the window, so a 4-character or longer hash cannot be guessed by trying
// (Shevek's SRS hash, see srs/hash.hpp). Thread-safe; time is passed in.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hikyaku::app {

class SrsReversalThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  // max_failures >= 1 ([srs] max_failed_reversals), window > 0 ([srs] failed_reversal_window).
  SrsReversalThrottle(std::int64_t max_failures, Clock::duration window)
      : max_failures_(max_failures), window_(window) {}

  // True when `client` has had max_failures failed reversals in the window that is running at
  // `now` (its window starts at its first failure).
  bool blocked(const std::string& client, Clock::time_point now);
  // Counts one failed reversal of `client`; returns its count in the window.
  std::int64_t record_failure(const std::string& client, Clock::time_point now);

  std::int64_t max_failures() const { return max_failures_; }
  std::size_t tracked() const;

 private:
  struct Window {
    Clock::time_point start;
    std::int64_t failures = 0;
  };
  static constexpr std::size_t kPruneAbove = 100000;  // clients kept before expired ones go

  std::int64_t max_failures_;
  Clock::duration window_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Window> clients_;
};

}  // namespace hikyaku::app
