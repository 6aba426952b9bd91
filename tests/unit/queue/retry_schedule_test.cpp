// Tests for queue/retry_schedule: doubling delays with a cap, expiry at the exact boundary, the
// next try never past expiry, and which replies count as throttling (421, 4.7.x).
#include <gtest/gtest.h>

#include "queue/retry_schedule.hpp"

namespace hikyaku::queue {
namespace {

using std::chrono::seconds;

RetryPolicy policy() {
  RetryPolicy p;
  p.first = seconds(300);
  p.longest = seconds(3600);
  p.lifetime = seconds(5 * 86400);
  return p;
}

TEST(RetrySchedule, DoublesFromTheFirstIntervalUpToTheCap) {
  const auto p = policy();
  EXPECT_EQ(retry_delay(p, 0), seconds(300));
  EXPECT_EQ(retry_delay(p, 1), seconds(300));
  EXPECT_EQ(retry_delay(p, 2), seconds(600));
  EXPECT_EQ(retry_delay(p, 3), seconds(1200));
  EXPECT_EQ(retry_delay(p, 4), seconds(2400));
  EXPECT_EQ(retry_delay(p, 5), seconds(3600));
  EXPECT_EQ(retry_delay(p, 1000), seconds(3600));
}

TEST(RetrySchedule, CapBelowFirstMeansFirst) {
  RetryPolicy p = policy();
  p.longest = seconds(10);
  EXPECT_EQ(retry_delay(p, 1), seconds(300));
  EXPECT_EQ(retry_delay(p, 7), seconds(300));
}

TEST(RetrySchedule, NextTryNeverPastExpiry) {
  RetryPolicy p = policy();
  p.lifetime = seconds(1000);
  EXPECT_EQ(next_try_after(p, 1, 100, 0), 400);
  EXPECT_EQ(next_try_after(p, 5, 900, 0), 1000);  // capped at arrival + lifetime
  EXPECT_EQ(next_try_after(p, 5, 2000, 0), 2000);  // already expired: now
}

TEST(RetrySchedule, ExpiryAtTheExactBoundary) {
  RetryPolicy p = policy();
  p.lifetime = seconds(60);
  EXPECT_FALSE(expired(p, 1000, 1059));
  EXPECT_TRUE(expired(p, 1000, 1060));
  EXPECT_TRUE(expired(p, 1000, 1061));
}

TEST(RetrySchedule, ThrottlingReplies) {
  EXPECT_TRUE(is_rate_limit(core::SmtpReply::make(421, "4.7.0", "Try again later")));
  EXPECT_TRUE(is_rate_limit(core::SmtpReply::make(421, "", "closing")));
  EXPECT_TRUE(is_rate_limit(core::SmtpReply::make(450, "4.7.28", "rate limited")));
  EXPECT_TRUE(is_rate_limit(core::SmtpReply::make(451, "4.7.1", "greylisted")));
  EXPECT_FALSE(is_rate_limit(core::SmtpReply::make(450, "4.2.1", "mailbox busy")));
  EXPECT_FALSE(is_rate_limit(core::SmtpReply::make(550, "5.7.1", "policy")));
  EXPECT_FALSE(is_rate_limit(core::SmtpReply::make(250, "2.0.0", "ok")));
}

TEST(RetrySchedule, ThrottleBackoffDoubles) {
  const auto p = policy();
  EXPECT_EQ(throttle_backoff(p, 1), seconds(300));
  EXPECT_EQ(throttle_backoff(p, 2), seconds(600));
  EXPECT_EQ(throttle_backoff(p, 9), seconds(3600));
}

}  // namespace
}  // namespace hikyaku::queue
