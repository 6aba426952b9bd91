// ConnectionTracker: the total and per-client-IP connection limits at their exact boundaries.
#include <gtest/gtest.h>

#include "smtpd/server.hpp"

namespace hikyaku::smtpd {
namespace {

TEST(ConnectionTracker, PerIpLimitAtBoundary) {
  ConnectionTracker t;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(t.try_add("192.0.2.1", 100, 3)) << i;  // N-1, N
  EXPECT_FALSE(t.try_add("192.0.2.1", 100, 3));                                  // N+1
  EXPECT_TRUE(t.try_add("192.0.2.2", 100, 3));  // another IP is not affected
  t.remove("192.0.2.1");
  EXPECT_TRUE(t.try_add("192.0.2.1", 100, 3));  // a freed slot is reusable
  EXPECT_EQ(t.total(), 4u);
}

TEST(ConnectionTracker, TotalLimitAtBoundary) {
  ConnectionTracker t;
  EXPECT_TRUE(t.try_add("192.0.2.1", 2, 10));
  EXPECT_TRUE(t.try_add("192.0.2.2", 2, 10));
  EXPECT_FALSE(t.try_add("192.0.2.3", 2, 10));
  EXPECT_EQ(t.total(), 2u);
  t.remove("192.0.2.2");
  EXPECT_TRUE(t.try_add("192.0.2.3", 2, 10));
}

TEST(ConnectionTracker, RefusedAddDoesNotLeakCounts) {
  ConnectionTracker t;
  EXPECT_TRUE(t.try_add("192.0.2.1", 1, 1));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(t.try_add("192.0.2.9", 1, 1));
  t.remove("192.0.2.1");
  EXPECT_EQ(t.total(), 0u);
  EXPECT_TRUE(t.try_add("192.0.2.9", 1, 1));
  t.remove("unknown-ip");  // removing an IP never added changes nothing
  EXPECT_EQ(t.total(), 1u);
}

}  // namespace
}  // namespace hikyaku::smtpd
