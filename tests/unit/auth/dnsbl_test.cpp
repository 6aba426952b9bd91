// DNSBL query names and listing answers (RFC 5782 §2.1, §2.4), and lookups against a zone.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "auth/dnsbl.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::auth {
namespace {

asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

TEST(Dnsbl, QueryNamesForBothFamilies) {
  EXPECT_EQ(dnsbl_query_name(ip("192.0.2.7"), "bl.example"), "7.2.0.192.bl.example");
  EXPECT_EQ(dnsbl_query_name(ip("::ffff:192.0.2.7"), "bl.example"), "7.2.0.192.bl.example");
  EXPECT_EQ(dnsbl_query_name(ip("2001:db8::25"), "bl.example"),
            "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example");
}

TEST(Dnsbl, ListingAnswers) {
  EXPECT_TRUE(is_listing_answer(ip("127.0.0.2")));
  EXPECT_TRUE(is_listing_answer(ip("127.0.1.4")));
  EXPECT_FALSE(is_listing_answer(ip("127.255.255.254")));  // "query refused" codes
  EXPECT_FALSE(is_listing_answer(ip("10.0.0.2")));
  EXPECT_FALSE(is_listing_answer(ip("::1")));
}

TEST(Dnsbl, ReplyText) {
  auto r = dnsbl_reply("192.0.2.7", DnsblListing{"bl.example", "127.0.0.2"});
  EXPECT_EQ(r.render(),
            "554 5.7.1 Service unavailable; client [192.0.2.7] found on one or more DNSBLs "
            "(bl.example)\r\n");
}

TEST(Dnsbl, LookupAgainstAZone) {
  auto zone = dns::ZoneFileResolver::from_text(
      "$ORIGIN bl.example.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n"
      "7.2.0.192 IN A 127.0.0.2\n8.2.0.192 IN A 127.255.255.254\n",
      "bl.zone");
  ASSERT_TRUE(zone);
  asio::io_context io;
  std::vector<std::optional<DnsblListing>> results;
  // Built outside the coroutine: g++ 12 mishandles braced lists inside coroutine bodies.
  const std::vector<std::string> zones{"none.example", "bl.example"};
  const std::vector<asio::ip::address> clients{ip("192.0.2.7"), ip("192.0.2.8"), ip("192.0.2.9")};
  dns::ZoneFileResolver& resolver = *zone;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (const auto& client : clients) results.push_back(co_await check_dnsbl(resolver, client, zones));
  }, asio::detached);
  io.run();
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0]);
  EXPECT_EQ(results[0]->zone, "bl.example");
  EXPECT_EQ(results[0]->answer, "127.0.0.2");
  EXPECT_FALSE(results[1]);  // a "refused" code is not a listing
  EXPECT_FALSE(results[2]);  // NXDOMAIN
}

}  // namespace
}  // namespace hikyaku::auth
