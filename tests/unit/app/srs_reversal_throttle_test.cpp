// SrsReversalThrottle at its exact boundary (N-1 failures: not blocked; N: blocked), per client,
// and the window: blocked until it ends, counted afresh after.
#include "app/srs_reversal_throttle.hpp"

#include <gtest/gtest.h>

namespace hikyaku::app {
namespace {

using namespace std::chrono_literals;
using Clock = SrsReversalThrottle::Clock;

TEST(SrsReversalThrottle, BlockedExactlyFromTheNthFailureUntilTheWindowEnds) {
  for (const std::int64_t n : {1, 3, 10}) {
    SrsReversalThrottle t(n, 1h);
    const auto t0 = Clock::time_point{} + 100h;
    const auto first = n == 1 ? t0 + 30min : t0;  // the window runs from the first failure
    for (std::int64_t i = 1; i < n; ++i) EXPECT_EQ(t.record_failure("192.0.2.1", t0 + 1s * (i - 1)), i);
    EXPECT_FALSE(t.blocked("192.0.2.1", t0 + 30min)) << "N-1 failures, n=" << n;
    EXPECT_EQ(t.record_failure("192.0.2.1", t0 + 30min), n);
    EXPECT_TRUE(t.blocked("192.0.2.1", t0 + 30min)) << "N failures, n=" << n;
    EXPECT_TRUE(t.blocked("192.0.2.1", first + 1h - 1s));  // the rest of the window
    EXPECT_FALSE(t.blocked("192.0.2.2", t0 + 30min));      // another client is not affected
    EXPECT_FALSE(t.blocked("192.0.2.1", first + 1h));      // the window ended
    EXPECT_EQ(t.record_failure("192.0.2.1", first + 1h), 1);  // counted afresh
  }
}

TEST(SrsReversalThrottle, AFailureAfterTheWindowStartsANewOne) {
  SrsReversalThrottle t(2, 10min);
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(t.record_failure("2001:db8:1:2::/64", t0), 1);
  EXPECT_EQ(t.record_failure("2001:db8:1:2::/64", t0 + 10min), 1);  // new window
  EXPECT_FALSE(t.blocked("2001:db8:1:2::/64", t0 + 11min));
  EXPECT_EQ(t.record_failure("2001:db8:1:2::/64", t0 + 19min), 2);
  EXPECT_TRUE(t.blocked("2001:db8:1:2::/64", t0 + 19min));
  EXPECT_EQ(t.tracked(), 1u);
}

}  // namespace
}  // namespace hikyaku::app
