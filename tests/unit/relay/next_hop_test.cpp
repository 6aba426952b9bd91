// Next-hop ordering: RFC 5321 §5.1 (preference order, randomised ties, implicit MX, no
// duplicates), RFC 7505 (null MX → 556 5.1.10), and address order per family policy.
#include "relay/next_hop.hpp"

#include <gtest/gtest.h>

#include <set>

namespace hikyaku::relay {
namespace {

namespace ip = boost::asio::ip;
using Hosts = std::vector<std::string>;

struct OrderCase {
  const char* name;
  std::vector<MxRecord> records;
  Hosts expected;
};

TEST(NextHops, PreferenceOrderTable) {
  const OrderCase cases[] = {
      {"single", {{10, "mx.example.com."}}, {"mx.example.com"}},
      {"ascending",
       {{20, "b.example."}, {10, "a.example."}, {30, "c.example."}},
       {"a.example", "b.example", "c.example"}},
      {"zero_first", {{5, "five.example"}, {0, "zero.example"}}, {"zero.example", "five.example"}},
      {"lowercased", {{10, "MX.Example.COM."}}, {"mx.example.com"}},
      {"max_preference_last",
       {{65535, "last.example"}, {1, "first.example"}},
       {"first.example", "last.example"}},
      // A host listed twice is tried once, at its lowest preference.
      {"dedupe_keeps_lowest",
       {{20, "a.example"}, {10, "b.example"}, {5, "A.example."}},
       {"a.example", "b.example"}},
      {"dedupe_same_pref", {{10, "a.example"}, {10, "a.example."}}, {"a.example"}},
      // A "." among real hosts names no host and is skipped (a misconfigured null MX).
      {"dot_among_hosts", {{0, "."}, {10, "real.example"}}, {"real.example"}},
  };
  for (const auto& c : cases) {
    std::mt19937_64 rng(1);
    const NextHops hops = order_next_hops("example.com", c.records, rng);
    EXPECT_EQ(hops.hosts, c.expected) << c.name;
    EXPECT_FALSE(hops.is_null_mx()) << c.name;
    EXPECT_FALSE(hops.implicit_mx) << c.name;
  }
}

TEST(NextHops, EqualPreferencesAreSpreadAndStayInTheirGroup) {
  const std::vector<MxRecord> records{{10, "a.example"}, {10, "b.example"}, {20, "c.example"}};
  std::mt19937_64 rng(20260101);
  std::set<Hosts> seen;
  int a_first = 0;
  for (int i = 0; i < 200; ++i) {
    const NextHops hops = order_next_hops("example.com", records, rng);
    ASSERT_EQ(hops.hosts.size(), 3u);
    EXPECT_EQ(hops.hosts[2], "c.example") << "a lower preference never overtakes";
    seen.insert(hops.hosts);
    if (hops.hosts[0] == "a.example") ++a_first;
  }
  EXPECT_TRUE(seen.count(Hosts{"a.example", "b.example", "c.example"}));
  EXPECT_TRUE(seen.count(Hosts{"b.example", "a.example", "c.example"}));
  EXPECT_EQ(seen.size(), 2u);
  // Roughly even: a binomial(200, 0.5) stays inside [60, 140] with overwhelming probability.
  EXPECT_GT(a_first, 60);
  EXPECT_LT(a_first, 140);
}

TEST(NextHops, SameSeedSameOrder) {
  const std::vector<MxRecord> records{{10, "a.ex"}, {10, "b.ex"}, {10, "c.ex"}, {10, "d.ex"}};
  std::mt19937_64 r1(7), r2(7);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(order_next_hops("ex", records, r1).hosts, order_next_hops("ex", records, r2).hosts);
  }
}

TEST(NextHops, NullMxIsPermanent556) {
  std::mt19937_64 rng(1);
  const NextHops hops = order_next_hops("nomail.example", {{0, "."}}, rng);
  ASSERT_TRUE(hops.is_null_mx());
  EXPECT_TRUE(hops.hosts.empty());
  EXPECT_FALSE(hops.implicit_mx);
  EXPECT_EQ(hops.null_mx->code, 556);
  EXPECT_EQ(hops.null_mx->enhanced, "5.1.10");
  EXPECT_EQ(hops.null_mx->render(), "556 5.1.10 Recipient address has null MX\r\n");
}

TEST(NextHops, LoneDotOfOtherPreferenceIsAlsoNullMx) {
  std::mt19937_64 rng(1);
  EXPECT_TRUE(order_next_hops("x.example", {{10, "."}}, rng).is_null_mx());
  EXPECT_TRUE(order_next_hops("x.example", {{0, ""}}, rng).is_null_mx());
}

TEST(NextHops, NoMxRecordsMeansImplicitMx) {
  std::mt19937_64 rng(1);
  const NextHops hops = order_next_hops("Example.ORG.", {}, rng);
  EXPECT_TRUE(hops.implicit_mx);
  EXPECT_FALSE(hops.is_null_mx());
  EXPECT_EQ(hops.hosts, Hosts{"example.org"});
}

TEST(NextHops, NormalizeHost) {
  EXPECT_EQ(normalize_host("MX1.Example.NET."), "mx1.example.net");
  EXPECT_EQ(normalize_host("."), "");
  EXPECT_EQ(normalize_host("a.b"), "a.b");
}

std::vector<ip::address> addrs(std::initializer_list<const char*> list) {
  std::vector<ip::address> out;
  for (const char* s : list) out.push_back(ip::make_address(s));
  return out;
}

TEST(AddressOrder, PerPolicy) {
  const auto aaaa = addrs({"2001:db8::1", "2001:db8::2"});
  const auto a = addrs({"192.0.2.1", "192.0.2.2"});
  EXPECT_EQ(order_addresses(aaaa, a, FamilyPolicy::ipv6_first),
            addrs({"2001:db8::1", "2001:db8::2", "192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(order_addresses(aaaa, a, FamilyPolicy::ipv4_first),
            addrs({"192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"}));
  EXPECT_EQ(order_addresses(aaaa, a, FamilyPolicy::ipv4_only), addrs({"192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(order_addresses(aaaa, a, FamilyPolicy::ipv6_only),
            addrs({"2001:db8::1", "2001:db8::2"}));
}

TEST(AddressOrder, EmptyFamiliesAndDuplicates) {
  EXPECT_TRUE(order_addresses({}, addrs({"192.0.2.1"}), FamilyPolicy::ipv6_only).empty());
  EXPECT_EQ(order_addresses({}, addrs({"192.0.2.1"}), FamilyPolicy::ipv6_first),
            addrs({"192.0.2.1"}));
  EXPECT_EQ(order_addresses(addrs({"2001:db8::1", "2001:db8::1"}),
                            addrs({"192.0.2.1", "192.0.2.1"}), FamilyPolicy::ipv6_first),
            addrs({"2001:db8::1", "192.0.2.1"}));
}

TEST(AddressOrder, V4MappedCountsAsIpv4) {
  const auto aaaa = addrs({"::ffff:192.0.2.9", "2001:db8::1"});
  EXPECT_EQ(order_addresses(aaaa, addrs({"192.0.2.9"}), FamilyPolicy::ipv6_first),
            addrs({"2001:db8::1", "192.0.2.9"}));
  EXPECT_EQ(order_addresses(aaaa, {}, FamilyPolicy::ipv6_only), addrs({"2001:db8::1"}));
}

}  // namespace
}  // namespace hikyaku::relay
