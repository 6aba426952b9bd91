// Unit tests for dns/resolver_health: failing only when every query for the window has failed.
#include "dns/resolver_health.hpp"

#include <gtest/gtest.h>

namespace hikyaku::dns {
namespace {

using namespace std::chrono_literals;
using Clock = ResolverHealth::Clock;

TEST(ResolverHealth, FailingAfterTheWindowOfFailuresOnly) {
  ResolverHealth h;
  const Clock::time_point t0 = Clock::time_point(1000s);
  EXPECT_FALSE(h.failing(60s, t0));          // nothing asked yet
  h.record(true, t0);
  h.record(false, t0 + 1s);                  // the first failure since the last answer
  h.record(false, t0 + 30s);
  EXPECT_FALSE(h.failing(60s, t0 + 60s));    // 59 s of failures
  EXPECT_TRUE(h.failing(60s, t0 + 61s));     // exactly 60 s
  h.record(true, t0 + 62s);                  // an answer (NXDOMAIN counts) ends it
  EXPECT_FALSE(h.failing(60s, t0 + 200s));
  h.record(false, t0 + 300s);
  EXPECT_FALSE(h.failing(60s, t0 + 359s));   // the window restarts at the new first failure
  EXPECT_TRUE(h.failing(60s, t0 + 360s));
}

}  // namespace
}  // namespace hikyaku::dns
