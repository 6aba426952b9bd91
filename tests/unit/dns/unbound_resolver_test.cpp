// Unit tests for dns/unbound_resolver. Offline: server-address parsing, configuration errors,
// and (UnboundLiveNoAnswer) a server that never answers: timeouts, concurrency, destruction
// with queries outstanding. Live (UnboundLive, needs HIKYAKU_TEST_DNS=IP:PORT of an NSD
// serving tests/unit/dns/testdata, see tests/integration/test_dns_unbound.py): every record
// type, CNAME chains, NXDOMAIN/NODATA (RFC 2308), PTR in documentation reverse zones.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "dns/caching_resolver.hpp"
#include "dns/names.hpp"
#include "dns/unbound_resolver.hpp"
#include "dns/zone_file_resolver.hpp"
#include "test_support.hpp"

namespace hikyaku::dns {
namespace {

using namespace std::chrono_literals;
using test::sorted_strings;

std::unique_ptr<UnboundResolver> make_resolver(asio::io_context& io, std::vector<std::string> servers,
                                               std::chrono::milliseconds timeout) {
  UnboundOptions options;
  options.servers = std::move(servers);
  options.timeout = timeout;
  auto r = UnboundResolver::create(io.get_executor(), options);
  EXPECT_TRUE(r) << (r ? "" : r.error());
  return r ? std::move(*r) : nullptr;
}

// A UDP socket and a TCP listener on one loopback port that never read or accept: a DNS
// server that never answers.
class SilentServer {
 public:
  SilentServer() : udp_(io_), tcp_(io_) {
    for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
      boost::system::error_code ec;
      udp_ = asio::ip::udp::socket(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      const uint16_t port = udp_.local_endpoint().port();
      tcp_ = asio::ip::tcp::acceptor(io_);
      tcp_.open(asio::ip::tcp::v4());
      tcp_.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
      if (!ec) tcp_.listen(asio::socket_base::max_listen_connections, ec);
      if (!ec) port_ = port;
    }
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }

 private:
  asio::io_context io_;
  asio::ip::udp::socket udp_;
  asio::ip::tcp::acceptor tcp_;
  uint16_t port_ = 0;
};

TEST(UnboundForwarder, ServerFormsBecomeIpAtPort) {
  EXPECT_EQ(unbound_forwarder("127.0.0.1:5353").value(), "127.0.0.1@5353");
  EXPECT_EQ(unbound_forwarder("[::1]:5353").value(), "::1@5353");
  EXPECT_EQ(unbound_forwarder("[2001:DB8::1]:53").value(), "2001:db8::1@53");
  EXPECT_EQ(unbound_forwarder("192.0.2.1").value(), "192.0.2.1@53");
  EXPECT_EQ(unbound_forwarder("::1").value(), "::1@53");
  EXPECT_EQ(unbound_forwarder("[::1]").value(), "::1@53");
  EXPECT_EQ(unbound_forwarder("127.0.0.1:65535").value(), "127.0.0.1@65535");
  EXPECT_EQ(unbound_forwarder("127.0.0.1:1").value(), "127.0.0.1@1");
}

TEST(UnboundForwarder, BadFormsAreRefused) {
  for (const char* bad : {"", "ns.example.com:53", "ns.example.com", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:", "127.0.0.1:5x", "[::1", "[::1]5353", "[::1]:", "[127.0.0.1:53",
                          "127.0.0.1:-53"}) {
    auto r = unbound_forwarder(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().find('"' + std::string(bad) + '"'), std::string::npos) << r.error();
    }
  }
}

TEST(UnboundForwarder, SpecialUseZonesCoverTestAndDocumentationNames) {
  const auto zones = special_use_zones();
  auto has = [&](std::string_view z) { return std::find(zones.begin(), zones.end(), z) != zones.end(); };
  EXPECT_TRUE(has("test."));
  EXPECT_TRUE(has("invalid."));
  EXPECT_TRUE(has("2.0.192.in-addr.arpa."));
  EXPECT_TRUE(has("100.51.198.in-addr.arpa."));
  EXPECT_TRUE(has("113.0.203.in-addr.arpa."));
  EXPECT_TRUE(has("8.b.d.0.1.0.0.2.ip6.arpa."));
  EXPECT_TRUE(has("10.in-addr.arpa."));
  EXPECT_FALSE(has("localhost."));           // kept: RFC 6761 §6.3
  EXPECT_FALSE(has("127.in-addr.arpa."));
  for (auto z : zones) EXPECT_TRUE(normalise_name(z)) << z;
}

TEST(UnboundCreate, ConfigurationErrorsAreValues) {
  asio::io_context io;
  UnboundOptions bad_server;
  bad_server.servers = {"127.0.0.1:5353", "nonsense"};
  auto r1 = UnboundResolver::create(io.get_executor(), bad_server);
  ASSERT_FALSE(r1);
  EXPECT_NE(r1.error().find("\"nonsense\""), std::string::npos) << r1.error();

  UnboundOptions zero;
  zero.servers = {"127.0.0.1:5353"};
  zero.timeout = 0ms;
  EXPECT_FALSE(UnboundResolver::create(io.get_executor(), zero));

  UnboundOptions missing;
  missing.resolv_conf = "/nonexistent/resolv.conf";
  auto r3 = UnboundResolver::create(io.get_executor(), missing);
  ASSERT_FALSE(r3);
  EXPECT_NE(r3.error().find("/nonexistent/resolv.conf"), std::string::npos) << r3.error();
}

TEST(UnboundCreate, ResolvConfIsReadWhenNoServersAreGiven) {
  const std::string path = ::testing::TempDir() + "hikyaku_dns_resolv.conf";
  {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("search example.test\nnameserver 127.0.0.1\n", f);
    std::fclose(f);
  }
  asio::io_context io;
  UnboundOptions options;
  options.resolv_conf = path;
  auto r = UnboundResolver::create(io.get_executor(), options);
  EXPECT_TRUE(r) << (r ? "" : r.error());
  std::remove(path.c_str());
}

TEST(UnboundLiveNoAnswer, InvalidNameIsNxdomainWithoutAsking) {
  asio::io_context io;
  SilentServer silent;
  auto resolver = make_resolver(io, {silent.address()}, 200ms);
  ASSERT_TRUE(resolver);
  const auto start = std::chrono::steady_clock::now();
  const auto a = test::query(io, *resolver, "a..example.test", RecordType::a);
  EXPECT_EQ(a.status, DnsStatus::nxdomain);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms);
}

TEST(UnboundLiveNoAnswer, TimesOutWithinTheDeadline) {
  asio::io_context io;
  SilentServer silent;
  ASSERT_NE(silent.port(), 0);
  auto resolver = make_resolver(io, {silent.address()}, 300ms);
  ASSERT_TRUE(resolver);
  const auto start = std::chrono::steady_clock::now();
  const auto a = test::query(io, *resolver, "mx1.example.test", RecordType::a);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a.status, DnsStatus::timeout) << describe(a);
  EXPECT_TRUE(a.temporary_failure());
  EXPECT_NE(a.detail.find("300ms"), std::string::npos) << a.detail;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 2000ms);
  // The timed-out query is still libunbound's: destroying now must be clean, and the
  // executor must then run out of work (nothing left waiting on the pipe).
  resolver.reset();
  io.restart();
  io.run_for(5s);
  EXPECT_TRUE(io.stopped());
}

TEST(UnboundLiveNoAnswer, ConcurrentQueriesFromTwoThreadsAllTimeOut) {
  asio::io_context io;
  SilentServer silent;
  auto resolver = make_resolver(io, {silent.address()}, 400ms);
  ASSERT_TRUE(resolver);
  constexpr int kQueries = 40;
  std::atomic<int> timeouts{0};
  std::atomic<int> done{0};
  for (int i = 0; i < kQueries; ++i) {
    asio::co_spawn(asio::make_strand(io), [&, i]() -> asio::awaitable<void> {
      const auto a = co_await resolver->query("q" + std::to_string(i) + ".example.test",
                                              i % 2 ? RecordType::mx : RecordType::aaaa);
      if (a.status == DnsStatus::timeout) ++timeouts;
      ++done;
    }, asio::detached);
  }
  const auto start = std::chrono::steady_clock::now();
  std::thread other([&] { while (done < kQueries && std::chrono::steady_clock::now() - start < 10s) io.run_for(50ms); });
  while (done < kQueries && std::chrono::steady_clock::now() - start < 10s) io.run_for(50ms);
  other.join();
  EXPECT_EQ(done.load(), kQueries);
  EXPECT_EQ(timeouts.load(), kQueries);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  resolver.reset();
  io.restart();
  io.run_for(5s);
  EXPECT_TRUE(io.stopped());
}

TEST(UnboundLiveNoAnswer, DestroyingWithQueriesOutstandingCompletesThem) {
  asio::io_context io;
  SilentServer silent;
  auto resolver = make_resolver(io, {silent.address()}, 30s);
  ASSERT_TRUE(resolver);
  constexpr int kQueries = 10;
  std::vector<DnsAnswer> answers;
  for (int i = 0; i < kQueries; ++i) {
    asio::co_spawn(io, resolver->query("d" + std::to_string(i) + ".example.test", RecordType::a),
                   [&](std::exception_ptr, DnsAnswer a) { answers.push_back(std::move(a)); });
  }
  io.run_for(200ms);  // the queries are now with libunbound
  EXPECT_TRUE(answers.empty());
  const auto start = std::chrono::steady_clock::now();
  resolver.reset();
  io.restart();
  io.run_for(5s);
  EXPECT_TRUE(io.stopped());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ASSERT_EQ(answers.size(), static_cast<size_t>(kQueries));
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, DnsStatus::servfail);
    EXPECT_EQ(a.detail, "resolver shut down");
  }
}

// ---- against a live NSD -------------------------------------------------------------------

const char* live_server() { return std::getenv("HIKYAKU_TEST_DNS"); }

class UnboundLive : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!live_server()) GTEST_SKIP() << "HIKYAKU_TEST_DNS is not set (tests/integration/test_dns_unbound.py sets it)";
    resolver_ = make_resolver(io_, {live_server()}, 5s);
    ASSERT_TRUE(resolver_);
  }
  void TearDown() override {
    resolver_.reset();
    io_.restart();
    io_.run_for(5s);
  }
  DnsAnswer ask(const std::string& name, RecordType type) { return test::query(io_, *resolver_, name, type); }

  asio::io_context io_;
  std::unique_ptr<UnboundResolver> resolver_;
};

TEST_F(UnboundLive, MxWithTwoPreferences) {
  const auto a = ask("example.test", RecordType::mx);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"10 mx1.example.test", "20 mx2.example.test"}));
  EXPECT_GT(a.ttl, 3500u);
  EXPECT_LE(a.ttl, 3600u);
}

TEST_F(UnboundLive, AddressesBothFamilies) {
  const auto a = ask("MX1.example.test.", RecordType::a);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(a.name, "mx1.example.test");
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"192.0.2.10"}));
  EXPECT_LE(a.ttl, 600u);
  const auto aaaa = ask("mx1.example.test", RecordType::aaaa);
  ASSERT_EQ(aaaa.status, DnsStatus::ok) << describe(aaaa);
  ASSERT_EQ(aaaa.addresses.size(), 1u);
  EXPECT_EQ(aaaa.addresses[0], asio::ip::make_address("2001:db8::10"));
}

TEST_F(UnboundLive, TxtOfSeveralStringsIsJoined) {
  const auto a = ask("example.test", RecordType::txt);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(a.texts, (std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"}));
  const auto two = ask("txt2.example.test", RecordType::txt);
  EXPECT_EQ(sorted_strings(two), (std::vector<std::string>{"first record", "second \"quoted\" record"}));
}

TEST_F(UnboundLive, PtrInDocumentationReverseZones) {
  // 2.0.192.in-addr.arpa and 8.b.d.0.1.0.0.2.ip6.arpa are unbound local zones by default.
  const auto v4 = ask(*reverse_name("192.0.2.20"), RecordType::ptr);
  ASSERT_EQ(v4.status, DnsStatus::ok) << describe(v4);
  EXPECT_EQ(v4.names, (std::vector<std::string>{"mx2.example.test"}));  // lowercased
  const auto v6 = ask(*reverse_name("2001:db8::10"), RecordType::ptr);
  ASSERT_EQ(v6.status, DnsStatus::ok) << describe(v6);
  EXPECT_EQ(v6.names, (std::vector<std::string>{"mx1.example.test"}));
}

TEST_F(UnboundLive, CnameChainIsReported) {
  const auto a = ask("alias2.example.test", RecordType::a);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(a.cname_chain, (std::vector<std::string>{"www.example.test", "mx1.example.test"}));
  EXPECT_EQ(a.canonical_name, "mx1.example.test");
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"192.0.2.10"}));
  EXPECT_LE(a.ttl, 120u);
  const auto c = ask("www.example.test", RecordType::cname);
  ASSERT_EQ(c.status, DnsStatus::ok) << describe(c);
  EXPECT_EQ(c.names, (std::vector<std::string>{"mx1.example.test"}));
}

TEST_F(UnboundLive, NodataAndEmptyNonTerminal) {
  const auto a = ask("onlya.example.test", RecordType::aaaa);
  EXPECT_EQ(a.status, DnsStatus::nodata) << describe(a);
  EXPECT_GT(a.ttl, 0u);
  EXPECT_LE(a.ttl, 300u);
  EXPECT_EQ(ask("b.ent.example.test", RecordType::a).status, DnsStatus::nodata);
}

TEST_F(UnboundLive, NxdomainWithNegativeTtl) {
  const auto a = ask("nope.example.test", RecordType::a);
  EXPECT_EQ(a.status, DnsStatus::nxdomain) << describe(a);
  EXPECT_GT(a.ttl, 0u);
  EXPECT_LE(a.ttl, 300u);
  const auto d = ask("dangling.example.test", RecordType::a);
  EXPECT_EQ(d.status, DnsStatus::nxdomain) << describe(d);
  EXPECT_EQ(d.cname_chain, (std::vector<std::string>{"nowhere.example.test"}));
}

TEST_F(UnboundLive, SameAnswersAsTheZoneFiles) {
  const std::string dir = std::string(HIKYAKU_SOURCE_DIR) + "/tests/unit/dns/testdata/";
  auto zone = ZoneFileResolver::load({dir + "example.test.zone", dir + "2.0.192.in-addr.arpa.zone",
                                      dir + "8.b.d.0.1.0.0.2.ip6.arpa.zone"});
  ASSERT_TRUE(zone);
  const std::vector<std::string> names = {"example.test", "mx1.example.test", "mx2.example.test",
                                          "www.example.test", "alias2.example.test", "dangling.example.test",
                                          "onlya.example.test", "b.ent.example.test", "c.b.ent.example.test",
                                          "txt2.example.test", "nope.example.test", "10.2.0.192.in-addr.arpa",
                                          "99.2.0.192.in-addr.arpa"};
  for (const auto& name : names) {
    for (auto type : {RecordType::a, RecordType::aaaa, RecordType::mx, RecordType::txt, RecordType::ptr,
                      RecordType::cname}) {
      const auto want = zone->lookup(name, type);
      const auto got = ask(name, type);
      SCOPED_TRACE(describe(got) + "  vs zone: " + describe(want));
      EXPECT_EQ(got.status, want.status);
      EXPECT_EQ(sorted_strings(got), sorted_strings(want));
      EXPECT_EQ(got.cname_chain, want.cname_chain);
      EXPECT_EQ(got.canonical_name, want.canonical_name);
      EXPECT_LE(got.ttl, want.ttl);
    }
  }
}

TEST_F(UnboundLive, ConcurrentQueriesOnTwoThreads) {
  constexpr int kRounds = 25;
  const std::vector<std::pair<std::string, RecordType>> work = {
      {"example.test", RecordType::mx},      {"mx1.example.test", RecordType::a},
      {"mx1.example.test", RecordType::aaaa}, {"example.test", RecordType::txt},
      {"alias2.example.test", RecordType::a}, {"nope.example.test", RecordType::a},
      {"onlya.example.test", RecordType::aaaa}, {*reverse_name("192.0.2.10"), RecordType::ptr}};
  const std::vector<DnsStatus> want = {DnsStatus::ok, DnsStatus::ok, DnsStatus::ok, DnsStatus::ok,
                                       DnsStatus::ok, DnsStatus::nxdomain, DnsStatus::nodata, DnsStatus::ok};
  std::atomic<int> right{0};
  std::atomic<int> done{0};
  const int total = kRounds * static_cast<int>(work.size());
  for (int round = 0; round < kRounds; ++round) {
    for (size_t i = 0; i < work.size(); ++i) {
      // Distinct names per round for half of them, so libunbound's cache is not all it does.
      std::string name = work[i].first;
      if (round % 2 && want[i] == DnsStatus::nxdomain) name = "nope" + std::to_string(round) + ".example.test";
      asio::co_spawn(asio::make_strand(io_), [&, name, i]() -> asio::awaitable<void> {
        const auto a = co_await resolver_->query(name, work[i].second);
        if (a.status == want[i]) ++right;
        ++done;
      }, asio::detached);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  auto run = [&] { while (done < total && std::chrono::steady_clock::now() - start < 20s) io_.run_for(20ms); };
  std::thread other(run);
  run();
  other.join();
  EXPECT_EQ(done.load(), total);
  EXPECT_EQ(right.load(), total);
}

TEST_F(UnboundLive, CachingResolverInFront) {
  auto upstream = std::shared_ptr<Resolver>(resolver_.get(), [](Resolver*) {});  // not owned
  CachingResolver cache(upstream, CacheOptions{});
  const auto first = test::query(io_, cache, "example.test", RecordType::mx);
  const auto second = test::query(io_, cache, "EXAMPLE.test", RecordType::mx);
  ASSERT_EQ(first.status, DnsStatus::ok);
  EXPECT_EQ(sorted_strings(first), sorted_strings(second));
  EXPECT_EQ(cache.stats().hits, 1u);
  const auto nx1 = test::query(io_, cache, "nope.example.test", RecordType::a);
  const auto nx2 = test::query(io_, cache, "nope.example.test", RecordType::a);
  EXPECT_EQ(nx2.status, DnsStatus::nxdomain);
  EXPECT_EQ(cache.stats().hits, 2u);  // negative answer cached (it carried an SOA TTL)
  EXPECT_LE(nx2.ttl, 60u);
  EXPECT_EQ(nx1.status, DnsStatus::nxdomain);
}

TEST(UnboundLiveIpv6, ServerGivenAsBracketedIpv6) {
  const char* server6 = std::getenv("HIKYAKU_TEST_DNS6");
  if (!server6) GTEST_SKIP() << "HIKYAKU_TEST_DNS6 is not set (tests/integration/test_dns_unbound.py sets it)";
  asio::io_context io;
  auto resolver = make_resolver(io, {server6}, 5s);
  ASSERT_TRUE(resolver);
  const auto a = test::query(io, *resolver, "mx2.example.test", RecordType::a);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"192.0.2.20"}));
  resolver.reset();
  io.restart();
  io.run_for(5s);
}

}  // namespace
}  // namespace hikyaku::dns
