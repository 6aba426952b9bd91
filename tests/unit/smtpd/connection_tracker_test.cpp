// ConnectionTracker: the total and per-client connection limits at their exact boundaries (a
// client: an IPv4 address or an IPv6 /64), and moving a proxied connection to its client.
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

TEST(ConnectionTracker, OneIpv6Slash64SharesOneLimit) {
  ConnectionTracker t;
  EXPECT_TRUE(t.try_add("2001:db8:1:2::1", 100, 2));
  EXPECT_TRUE(t.try_add("2001:db8:1:2::2", 100, 2));        // N
  EXPECT_FALSE(t.try_add("2001:db8:1:2:ffff::9", 100, 2));  // N+1, another address of the /64
  EXPECT_TRUE(t.try_add("2001:db8:1:3::1", 100, 2));        // the next /64 is another client
  EXPECT_EQ(t.count("2001:db8:1:2::77"), 2u);
  t.remove("2001:db8:1:2::1");
  EXPECT_TRUE(t.try_add("2001:db8:1:2::3", 100, 2));
}

TEST(ConnectionTracker, MappedAndPlainIpv4AreOneClient) {
  ConnectionTracker t;
  EXPECT_TRUE(t.try_add("::ffff:192.0.2.1", 100, 1));
  EXPECT_FALSE(t.try_add("192.0.2.1", 100, 1));
  t.remove("192.0.2.1");
  EXPECT_EQ(t.total(), 0u);
}

TEST(ConnectionTracker, MoveKeepsTheTotalAndChecksTheNewClient) {
  ConnectionTracker t;
  // Two connections from a proxy, not yet identified.
  EXPECT_TRUE(t.try_add("10.0.0.1", 3, 5));
  EXPECT_TRUE(t.try_add("10.0.0.1", 3, 5));
  EXPECT_TRUE(t.try_move("10.0.0.1", "192.0.2.7", 1));   // the header names the client
  EXPECT_EQ(t.count("10.0.0.1"), 1u);
  EXPECT_EQ(t.count("192.0.2.7"), 1u);
  EXPECT_EQ(t.total(), 2u);
  EXPECT_FALSE(t.try_move("10.0.0.1", "192.0.2.7", 1));  // that client is at its limit
  EXPECT_EQ(t.count("10.0.0.1"), 1u);                    // still counted where it was
  EXPECT_EQ(t.total(), 2u);
  EXPECT_TRUE(t.try_move("10.0.0.1", "10.0.0.1", 1));    // the same client: nothing to do
  EXPECT_FALSE(t.try_move("203.0.113.1", "192.0.2.9", 5));  // nothing counted there
  t.remove("10.0.0.1");
  t.remove("192.0.2.7");
  EXPECT_EQ(t.total(), 0u);
}

TEST(ConnectionTracker, SilentConnectionsTakeOnlyTheirPeersShare) {
  ConnectionTracker t;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(t.try_add("203.0.113.5", 10, 3));
  EXPECT_FALSE(t.try_add("203.0.113.5", 10, 3));
  EXPECT_TRUE(t.try_add("192.0.2.1", 10, 3));  // others still get in
}

}  // namespace
}  // namespace hikyaku::smtpd
