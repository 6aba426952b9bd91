// Unit tests for dns/caching_resolver: TTL expiry with an injected clock (RFC 1035 §7.4),
// remaining TTL on hits, the size bound at exactly N entries with LRU eviction, negative
// caching capped (RFC 2308 §5), temporary failures never cached (RFC 2308 §7), thread safety.
#include <gtest/gtest.h>

#include <thread>

#include "dns/caching_resolver.hpp"
#include "test_support.hpp"

namespace hikyaku::dns {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::FakeClock;
using test::ok_a;
using test::ScriptedResolver;

class Cache : public ::testing::Test {
 protected:
  std::shared_ptr<CachingResolver> make(size_t max_entries = 100) {
    CacheOptions options;
    options.max_entries = max_entries;
    options.clock = clock_.function();
    return std::make_shared<CachingResolver>(upstream_, options);
  }
  DnsAnswer ask(Resolver& r, const std::string& name, RecordType type = RecordType::a) {
    return test::query(io_, r, name, type);
  }

  asio::io_context io_;
  FakeClock clock_;
  std::shared_ptr<ScriptedResolver> upstream_ = std::make_shared<ScriptedResolver>();
};

TEST_F(Cache, HitWithinTtlThenExpiry) {
  upstream_->set("a.test", RecordType::a, ok_a("a.test", "192.0.2.1", 300));
  auto cache = make();
  EXPECT_EQ(ask(*cache, "a.test").ttl, 300u);
  clock_.advance(seconds(100));
  const auto hit = ask(*cache, "a.test");
  EXPECT_EQ(hit.status, DnsStatus::ok);
  EXPECT_EQ(hit.ttl, 200u);  // counted down
  EXPECT_EQ(upstream_->calls("a.test", RecordType::a), 1);
  clock_.advance(milliseconds(199'999));
  EXPECT_EQ(ask(*cache, "a.test").ttl, 1u);  // 299.999 s old: still cached
  EXPECT_EQ(upstream_->calls("a.test", RecordType::a), 1);
  clock_.advance(milliseconds(1));  // exactly 300 s: expired
  ask(*cache, "a.test");
  EXPECT_EQ(upstream_->calls("a.test", RecordType::a), 2);
  EXPECT_EQ(cache->stats().hits, 2u);
  EXPECT_EQ(cache->stats().misses, 2u);
}

TEST_F(Cache, KeyIsNormalisedNameAndType) {
  upstream_->set("a.test", RecordType::a, ok_a("a.test", "192.0.2.1", 300));
  DnsAnswer v6 = DnsAnswer::failure("a.test", RecordType::aaaa, DnsStatus::ok);
  v6.addresses.push_back(asio::ip::make_address("2001:db8::1"));
  v6.ttl = 300;
  upstream_->set("a.test", RecordType::aaaa, v6);
  auto cache = make();
  ask(*cache, "a.test");
  ask(*cache, "A.Test.");
  EXPECT_EQ(upstream_->calls("a.test", RecordType::a), 1);
  ask(*cache, "a.test", RecordType::aaaa);  // another type: another entry
  EXPECT_EQ(upstream_->calls("a.test", RecordType::aaaa), 1);
  EXPECT_EQ(cache->size(), 2u);
}

TEST_F(Cache, ZeroTtlIsNotCached) {
  upstream_->set("z.test", RecordType::a, ok_a("z.test", "192.0.2.1", 0));
  auto cache = make();
  ask(*cache, "z.test");
  ask(*cache, "z.test");
  EXPECT_EQ(upstream_->calls("z.test", RecordType::a), 2);
  EXPECT_EQ(cache->size(), 0u);
}

TEST_F(Cache, PositiveTtlIsCappedAtMaxTtl) {
  upstream_->set("long.test", RecordType::a, ok_a("long.test", "192.0.2.1", 7 * 86400));
  auto cache = make();
  EXPECT_EQ(ask(*cache, "long.test").ttl, 7u * 86400);  // the first answer is upstream's own
  EXPECT_EQ(ask(*cache, "long.test").ttl, 86400u);      // stored for at most a day
  clock_.advance(seconds(86400));
  ask(*cache, "long.test");
  EXPECT_EQ(upstream_->calls("long.test", RecordType::a), 2);
}

TEST_F(Cache, NegativeAnswersCachedForMinOfSoaTtlAndCap) {
  DnsAnswer nx = DnsAnswer::failure("nx.test", RecordType::a, DnsStatus::nxdomain);
  nx.ttl = 3600;  // the SOA says an hour; the cap says 60 s
  DnsAnswer nodata = DnsAnswer::failure("nd.test", RecordType::mx, DnsStatus::nodata);
  nodata.ttl = 30;  // below the cap: kept 30 s
  upstream_->set("nx.test", RecordType::a, nx);
  upstream_->set("nd.test", RecordType::mx, nodata);
  auto cache = make();
  EXPECT_EQ(ask(*cache, "nx.test").status, DnsStatus::nxdomain);
  EXPECT_EQ(ask(*cache, "nd.test", RecordType::mx).status, DnsStatus::nodata);
  clock_.advance(seconds(29));
  EXPECT_EQ(ask(*cache, "nx.test").status, DnsStatus::nxdomain);
  EXPECT_EQ(ask(*cache, "nd.test", RecordType::mx).status, DnsStatus::nodata);
  EXPECT_EQ(upstream_->total_calls(), 2);
  clock_.advance(seconds(1));  // 30 s: nodata expires
  ask(*cache, "nd.test", RecordType::mx);
  EXPECT_EQ(upstream_->calls("nd.test", RecordType::mx), 2);
  clock_.advance(seconds(29));  // 59 s: nxdomain still cached
  ask(*cache, "nx.test");
  EXPECT_EQ(upstream_->calls("nx.test", RecordType::a), 1);
  clock_.advance(seconds(1));  // 60 s: the cap
  ask(*cache, "nx.test");
  EXPECT_EQ(upstream_->calls("nx.test", RecordType::a), 2);
}

TEST_F(Cache, NegativeAnswerWithoutSoaIsNotCached) {
  upstream_->set("nx.test", RecordType::a, DnsAnswer::failure("nx.test", RecordType::a, DnsStatus::nxdomain));
  auto cache = make();
  ask(*cache, "nx.test");
  ask(*cache, "nx.test");
  EXPECT_EQ(upstream_->calls("nx.test", RecordType::a), 2);
}

TEST_F(Cache, TemporaryFailuresAreNeverCached) {
  DnsAnswer sf = DnsAnswer::failure("sf.test", RecordType::a, DnsStatus::servfail, "upstream");
  sf.ttl = 300;  // even if a TTL came along
  DnsAnswer to = DnsAnswer::failure("to.test", RecordType::a, DnsStatus::timeout);
  to.ttl = 300;
  upstream_->set("sf.test", RecordType::a, sf);
  upstream_->set("to.test", RecordType::a, to);
  auto cache = make();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ask(*cache, "sf.test").status, DnsStatus::servfail);
    EXPECT_EQ(ask(*cache, "to.test").status, DnsStatus::timeout);
  }
  EXPECT_EQ(upstream_->calls("sf.test", RecordType::a), 3);
  EXPECT_EQ(upstream_->calls("to.test", RecordType::a), 3);
  EXPECT_EQ(cache->size(), 0u);
}

TEST_F(Cache, BoundHoldsExactlyNThenEvictsLeastRecentlyUsed) {
  constexpr size_t kN = 5;
  for (size_t i = 0; i <= kN; ++i) {
    const std::string name = "h" + std::to_string(i) + ".test";
    upstream_->set(name, RecordType::a, ok_a(name, "192.0.2.1", 300));
  }
  auto cache = make(kN);
  for (size_t i = 0; i < kN; ++i) ask(*cache, "h" + std::to_string(i) + ".test");  // N-1, then N
  EXPECT_EQ(cache->size(), kN);
  EXPECT_EQ(cache->stats().evictions, 0u);
  ask(*cache, "h0.test");  // touch h0: h1 is now the least recently used
  EXPECT_EQ(upstream_->calls("h0.test", RecordType::a), 1);
  ask(*cache, "h5.test");  // N+1: one goes
  EXPECT_EQ(cache->size(), kN);
  EXPECT_EQ(cache->stats().evictions, 1u);
  ask(*cache, "h0.test");
  EXPECT_EQ(upstream_->calls("h0.test", RecordType::a), 1);  // kept
  ask(*cache, "h1.test");
  EXPECT_EQ(upstream_->calls("h1.test", RecordType::a), 2);  // evicted
}

TEST_F(Cache, ZeroEntriesTurnsCachingOff) {
  upstream_->set("a.test", RecordType::a, ok_a("a.test", "192.0.2.1", 300));
  auto cache = make(0);
  ask(*cache, "a.test");
  ask(*cache, "a.test");
  EXPECT_EQ(upstream_->calls("a.test", RecordType::a), 2);
  EXPECT_EQ(cache->size(), 0u);
}

TEST_F(Cache, InvalidNamesPassThroughUncached) {
  auto cache = make();
  EXPECT_EQ(ask(*cache, "a..b").status, DnsStatus::nxdomain);
  EXPECT_EQ(cache->size(), 0u);
  EXPECT_EQ(upstream_->total_calls(), 1);
}

TEST_F(Cache, ClearEmptiesTheTable) {
  upstream_->set("a.test", RecordType::a, ok_a("a.test", "192.0.2.1", 300));
  auto cache = make();
  ask(*cache, "a.test");
  cache->clear();
  EXPECT_EQ(cache->size(), 0u);
  ask(*cache, "a.test");
  EXPECT_EQ(upstream_->calls("a.test", RecordType::a), 2);
}

TEST_F(Cache, ConcurrentQueriesFromTwoThreads) {
  constexpr int kNames = 50;
  for (int i = 0; i < kNames; ++i) {
    const std::string name = "c" + std::to_string(i) + ".test";
    upstream_->set(name, RecordType::a, ok_a(name, "192.0.2." + std::to_string(i + 1), 300));
  }
  CacheOptions options;
  options.max_entries = 20;  // smaller than the name set: evictions race with hits
  auto cache = std::make_shared<CachingResolver>(upstream_, options);
  std::atomic<int> good{0};
  std::atomic<int> done{0};
  asio::io_context io;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < kNames; ++i) {
      asio::co_spawn(asio::make_strand(io), [&, i]() -> asio::awaitable<void> {
        const std::string name = "c" + std::to_string(i) + ".test";
        const DnsAnswer a = co_await cache->query(name, RecordType::a);
        if (a.ok() && a.addresses.size() == 1 &&
            a.addresses[0].to_string() == "192.0.2." + std::to_string(i + 1)) {
          ++good;
        }
        ++done;
      }, asio::detached);
    }
  }
  std::thread other([&] { io.run(); });
  io.run();
  other.join();
  EXPECT_EQ(done.load(), 10 * kNames);
  EXPECT_EQ(good.load(), 10 * kNames);
  EXPECT_LE(cache->size(), 20u);
  const auto stats = cache->stats();
  EXPECT_EQ(stats.hits + stats.misses, static_cast<uint64_t>(10 * kNames));
}

}  // namespace
}  // namespace hikyaku::dns
