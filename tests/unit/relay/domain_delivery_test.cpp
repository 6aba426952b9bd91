// deliver_to_domain over zone-file DNS and loopback addresses: the caps on next hops
// ([relay] max_mx_hosts, max_addresses) at N-1, N, N+1. Every address is a closed port on
// 127.0.0.x, so each one tried is one refused connect in DomainOutcome::tried.
#include "relay/domain_delivery.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dns/zone_file_resolver.hpp"
#include "fake_smtp_server.hpp"
#include "loopback.hpp"
#include "scripted.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;

// dest.example: seven MX hosts of rising preference, one address each (127.0.0.21-27);
// many.example: one MX host with six addresses (127.0.0.31-36).
const char* const kZone =
    "$ORIGIN dest.example.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n"
    "@ IN MX 10 mx1\n@ IN MX 20 mx2\n@ IN MX 30 mx3\n@ IN MX 40 mx4\n"
    "@ IN MX 50 mx5\n@ IN MX 60 mx6\n@ IN MX 70 mx7\n"
    "mx1 IN A 127.0.0.21\nmx2 IN A 127.0.0.22\nmx3 IN A 127.0.0.23\nmx4 IN A 127.0.0.24\n"
    "mx5 IN A 127.0.0.25\nmx6 IN A 127.0.0.26\nmx7 IN A 127.0.0.27\n"
    "$ORIGIN many.example.\n"
    "@ IN MX 10 mx\n"
    "mx IN A 127.0.0.31\nmx IN A 127.0.0.32\nmx IN A 127.0.0.33\nmx IN A 127.0.0.34\n"
    "mx IN A 127.0.0.35\nmx IN A 127.0.0.36\n";

DomainDeliveryOptions options(size_t max_hosts, size_t max_addresses) {
  DomainDeliveryOptions o;
  o.client = fast_options();
  o.port = closed_port("127.0.0.1").port();  // nothing listens there on any 127.0.0.x
  o.family = FamilyPolicy::ipv4_only;
  o.max_mx_hosts = max_hosts;
  o.max_addresses = max_addresses;
  return o;
}

// The addresses connected to, in order, read from the refused connects in `tried`.
std::vector<std::string> connected(const DomainOutcome& out) {
  std::vector<std::string> addresses;
  for (const auto& line : out.tried) {
    const size_t at = line.find("127.0.0.");
    if (line.find("connection refused") == std::string::npos || at == std::string::npos) continue;
    const std::string a = line.substr(at, line.find(':', at) - at);
    if (addresses.empty() || addresses.back() != a) addresses.push_back(a);
  }
  return addresses;
}

DomainOutcome deliver(const std::string& domain, const DomainDeliveryOptions& o) {
  auto zone = dns::ZoneFileResolver::from_text(kZone, "caps.zone");
  EXPECT_TRUE(zone);
  asio::io_context io;
  return complete(io, deliver_to_domain(io.get_executor(), *zone, domain, transaction({"bob"}), o));
}

std::vector<std::string> range(int first, int last) {
  std::vector<std::string> out;
  for (int i = first; i <= last; ++i) out.push_back("127.0.0." + std::to_string(i));
  return out;
}

bool has_line(const DomainOutcome& out, const std::string& text) {
  for (const auto& l : out.tried) {
    if (l.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(DomainDeliveryCaps, MaxMxHosts4_5_6) {
  if (!can_bind("127.0.0.27")) GTEST_SKIP() << "127.0.0.0/8 not on loopback here";
  for (size_t cap : {4u, 5u, 6u}) {
    const auto out = deliver("dest.example", options(cap, 100));
    EXPECT_EQ(connected(out), range(21, 20 + static_cast<int>(cap))) << cap;
    EXPECT_TRUE(has_line(out, std::to_string(7 - cap) + " more MX host(s) not tried (max_mx_hosts " +
                                  std::to_string(cap) + ")"))
        << cap;
    EXPECT_TRUE(out.decided.result.all_temporary());
  }
  // Seven hosts under a cap of seven: all tried, nothing said about a cap.
  const auto all = deliver("dest.example", options(7, 100));
  EXPECT_EQ(connected(all), range(21, 27));
  EXPECT_FALSE(has_line(all, "not tried"));
}

TEST(DomainDeliveryCaps, MaxAddressesOverAllHosts) {
  if (!can_bind("127.0.0.27")) GTEST_SKIP() << "127.0.0.0/8 not on loopback here";
  // Counted over every host: three addresses are three hosts of one address each.
  for (size_t cap : {2u, 3u, 4u}) {
    const auto out = deliver("dest.example", options(10, cap));
    EXPECT_EQ(connected(out), range(21, 20 + static_cast<int>(cap))) << cap;
    EXPECT_TRUE(has_line(out, "mx" + std::to_string(cap + 1) +
                                  ".dest.example: not tried (max_addresses " + std::to_string(cap) +
                                  " reached)"))
        << cap;
  }
}

TEST(DomainDeliveryCaps, MaxAddressesWithinOneHost5_6_7) {
  if (!can_bind("127.0.0.36")) GTEST_SKIP() << "127.0.0.0/8 not on loopback here";
  for (size_t cap : {5u, 6u, 7u}) {
    const auto out = deliver("many.example", options(5, cap));
    const size_t tried = std::min<size_t>(cap, 6);
    EXPECT_EQ(connected(out).size(), tried) << cap;
    EXPECT_EQ(has_line(out, "more addresses not tried (max_addresses " + std::to_string(cap) + ")"),
              cap < 6)
        << cap;
  }
}

}  // namespace
}  // namespace hikyaku::relay
