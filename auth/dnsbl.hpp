// DNS blocklist lookups of a connecting client (RFC 5782): the address reversed (IPv4 octets,
// IPv6 nibbles) under each configured zone; an A record in 127.0.0.0/8 means listed.
// A zone that does not answer lists nobody: a broken blocklist never blocks mail.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/smtp_reply.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

namespace asio = boost::asio;

struct DnsblListing {
  std::string zone;     // the first zone that lists the client
  std::string answer;   // its A record, "127.0.0.2"
};

// The name to look up for `ip` in `zone` (RFC 5782 §2.1, §2.4): "4.3.2.1.zone" or 32 nibbles.
std::optional<std::string> dnsbl_query_name(const asio::ip::address& ip, const std::string& zone);

// True for a listing answer: 127.0.0.0/8 (RFC 5782 §2.1), except 127.255.255.0/24, which some
// lists return for refused or malformed queries, never for a listing.
bool is_listing_answer(const asio::ip::address& a);

// Looks the client up in each zone in order; the first listing, or nullopt.
asio::awaitable<std::optional<DnsblListing>> check_dnsbl(dns::Resolver& resolver,
                                                         const asio::ip::address& client,
                                                         const std::vector<std::string>& zones);

// "554 5.7.1 Service unavailable; client [ip] found on one or more DNSBLs (zone)".
core::SmtpReply dnsbl_reply(const std::string& client_ip, const DnsblListing& listing);

}  // namespace hikyaku::auth
