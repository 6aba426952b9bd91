// Where to send mail for a domain, as pure functions: the ordered MX host list (RFC 5321 §5.1:
// preference order, random among equal preferences, implicit MX; RFC 7505 §3-4: null MX) and
// the order of one host's addresses by address family. DNS lookups happen elsewhere.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/smtp_reply.hpp"

namespace hikyaku::relay {

struct MxRecord {
  uint16_t preference = 0;
  std::string exchange;  // as the DNS returned it; may end in '.', any case
};

struct NextHops {
  // Hosts to try, in order (lowercase, no trailing dot). Empty for a null MX.
  std::vector<std::string> hosts;
  // No MX records (NODATA): the domain itself is the only host (RFC 5321 §5.1).
  bool implicit_mx = false;
  // The domain publishes a null MX (RFC 7505 §3): mail to it is refused with this reply,
  // "556 5.1.10 Recipient address has null MX" (RFC 7505 §4.2, RFC 7505 §5 / RFC 3463 X.1.10).
  std::optional<core::SmtpReply> null_mx;

  bool is_null_mx() const { return null_mx.has_value(); }
};

// Lowercases and drops one trailing dot: "MX1.Example.NET." → "mx1.example.net", "." → "".
std::string normalize_host(std::string_view name);

// Orders `records` of `domain` (which should already be lowercase A-labels):
//  - empty `records` (NODATA) → implicit MX: hosts = {domain} (RFC 5321 §5.1);
//  - a record whose exchange is "." names no host (RFC 7505 §3); when no other host remains
//    the result is a null MX. RFC 7505 defines the null MX as one record of preference 0; a
//    lone "." of another preference is treated the same, since "." can never be connected to;
//  - otherwise ascending preference; equal preferences in a random order drawn from `rng`
//    ("randomize them to spread the load", RFC 5321 §5.1); a host listed twice is kept once,
//    at its lowest preference.
NextHops order_next_hops(std::string_view domain, const std::vector<MxRecord>& records,
                         std::mt19937_64& rng);

// Which address families to use for one destination, and which first.
enum class FamilyPolicy { ipv6_first, ipv4_first, ipv4_only, ipv6_only };

// The order to connect to one host's addresses: for ipv6_first all IPv6 (AAAA) then all IPv4
// (A), each family in the order given; duplicates removed. IPv4-mapped IPv6 addresses count as
// IPv4 (they reach an IPv4 host).
std::vector<boost::asio::ip::address> order_addresses(
    const std::vector<boost::asio::ip::address>& aaaa,
    const std::vector<boost::asio::ip::address>& a, FamilyPolicy policy);

}  // namespace hikyaku::relay
