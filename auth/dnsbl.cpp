// DNSBL lookups (RFC 5782 §2): reversed client address under each zone, A record in 127/8.
#include "auth/dnsbl.hpp"

#include "dns/names.hpp"

namespace hikyaku::auth {

std::optional<std::string> dnsbl_query_name(const asio::ip::address& ip, const std::string& zone) {
  auto address = ip;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  std::string reversed = dns::reverse_name(address);  // "...in-addr.arpa" / "...ip6.arpa"
  for (std::string_view suffix : {".in-addr.arpa", ".ip6.arpa"}) {
    if (reversed.size() > suffix.size() &&
        reversed.compare(reversed.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return reversed.substr(0, reversed.size() - suffix.size()) + "." + zone;
    }
  }
  return std::nullopt;
}

bool is_listing_answer(const asio::ip::address& a) {
  if (!a.is_v4()) return false;
  const auto bytes = a.to_v4().to_bytes();
  if (bytes[0] != 127) return false;
  return !(bytes[1] == 255 && bytes[2] == 255);
}

asio::awaitable<std::optional<DnsblListing>> check_dnsbl(dns::Resolver& resolver,
                                                         const asio::ip::address& client,
                                                         const std::vector<std::string>& zones) {
  for (const auto& zone : zones) {
    auto name = dnsbl_query_name(client, zone);
    if (!name) continue;
    const auto answer = co_await resolver.query(*name, dns::RecordType::a);
    if (!answer.ok()) continue;  // not listed (NXDOMAIN) or the list is not answering
    for (const auto& a : answer.addresses) {
      if (is_listing_answer(a)) co_return DnsblListing{zone, a.to_string()};
    }
  }
  co_return std::nullopt;
}

core::SmtpReply dnsbl_reply(const std::string& client_ip, const DnsblListing& listing) {
  return core::SmtpReply::make(554, "5.7.1", "Service unavailable; client [" + client_ip +
                                                 "] found on one or more DNSBLs (" + listing.zone + ")");
}

}  // namespace hikyaku::auth
