// IdlePool bookkeeping for connection reuse: per-key and total bounds at their exact limits,
// idle timeout at its boundary, freshest-first take, TLS mode kept apart.
#include "relay/connection_pool.hpp"

#include <gtest/gtest.h>

namespace hikyaku::relay {
namespace {

using Pool = IdlePool<int>;
using Clock = Pool::Clock;
using std::chrono::seconds;

PoolKey key(std::string host, std::string ep = "192.0.2.1:25", bool tls = true) {
  return PoolKey{std::move(host), std::move(ep), tls ? "may" : "none"};
}

std::unique_ptr<int> conn(int id) {
  return std::make_unique<int>(id);
}

TEST(IdlePool, PerKeyLimitAtBoundary) {
  Pool pool(PoolLimits{10, 2, seconds(10), 100});
  const auto t = Clock::now();
  EXPECT_TRUE(pool.put(key("a"), conn(1), t).empty());  // N-1
  EXPECT_TRUE(pool.put(key("a"), conn(2), t).empty());  // N
  auto refused = pool.put(key("a"), conn(3), t);        // N+1: the new one is handed back
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(*refused[0], 3);
  EXPECT_EQ(pool.size(), 2u);
  // Another address of the same host is another key.
  EXPECT_TRUE(pool.put(key("a", "192.0.2.2:25"), conn(4), t).empty());
  EXPECT_EQ(pool.size(), 3u);
}

TEST(IdlePool, TotalLimitEvictsTheLongestIdle) {
  Pool pool(PoolLimits{2, 5, seconds(10), 100});
  const auto t = Clock::now();
  EXPECT_TRUE(pool.put(key("a"), conn(1), t).empty());
  EXPECT_TRUE(pool.put(key("b"), conn(2), t + seconds(1)).empty());
  auto evicted = pool.put(key("c"), conn(3), t + seconds(2));
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(*evicted[0], 1);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.take("a", "may", t + seconds(2)), nullptr);
  EXPECT_NE(pool.take("c", "may", t + seconds(2)), nullptr);
}

TEST(IdlePool, IdleTimeoutAtBoundary) {
  Pool pool(PoolLimits{10, 5, seconds(10), 100});
  const auto t = Clock::now();
  pool.put(key("a"), conn(1), t);
  pool.put(key("a"), conn(2), t + seconds(1));
  // At t+10s the first has been idle exactly the timeout: expired; the second not yet.
  auto expired = pool.expire(t + seconds(10));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(*expired[0], 1);
  auto c = pool.take("a", "may", t + seconds(11) - std::chrono::milliseconds(1));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c, 2);
  pool.put(key("a"), conn(3), t);
  EXPECT_EQ(pool.take("a", "may", t + seconds(10)), nullptr);  // dropped on the way
  EXPECT_EQ(pool.size(), 0u);
}

TEST(IdlePool, TakeReturnsTheFreshestOfTheHostInTheSameTlsMode) {
  Pool pool;
  const auto t = Clock::now();
  pool.put(key("a", "192.0.2.1:25"), conn(1), t);
  pool.put(key("a", "192.0.2.2:25"), conn(2), t + seconds(1));
  pool.put(key("a", "192.0.2.3:25", false), conn(3), t + seconds(2));
  pool.put(key("b"), conn(4), t + seconds(3));
  auto c = pool.take("a", "may", t + seconds(3));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c, 2);
  c = pool.take("a", "none", t + seconds(3));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c, 3);
  c = pool.take("a", "may", t + seconds(3));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c, 1);
  EXPECT_EQ(pool.take("a", "may", t + seconds(3)), nullptr);
  EXPECT_EQ(pool.take("zzz", "may", t + seconds(3)), nullptr);
  EXPECT_EQ(pool.size(), 1u);
}

TEST(IdlePool, ZeroTotalKeepsNothingAndClearEmpties) {
  Pool none(PoolLimits{0, 4, seconds(10), 100});
  EXPECT_EQ(none.put(key("a"), conn(1), Clock::now()).size(), 1u);
  EXPECT_EQ(none.size(), 0u);
  Pool pool;
  pool.put(key("a"), conn(1), Clock::now());
  pool.put(key("b"), conn(2), Clock::now());
  EXPECT_EQ(pool.clear().size(), 2u);
  EXPECT_EQ(pool.size(), 0u);
}

}  // namespace
}  // namespace hikyaku::relay
