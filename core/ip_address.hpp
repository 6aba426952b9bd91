// IP addresses as configuration and policy see them: one canonical text per address (RFC 5952
// for IPv6, an IPv4-mapped address unmapped to its IPv4 address, RFC 4291 §2.5.5.2), prefixes
// ("192.0.2.0/24", "2001:db8::/32") and the local addresses that no check may vouch for.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hikyaku::core {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4 octets

  static std::optional<IpAddress> parse(std::string_view text);  // no brackets, no zone id
  size_t bit_length() const { return v6 ? 128 : 32; }
  std::string to_string() const;  // canonical: RFC 5952 lower case, shortest form
  bool operator==(const IpAddress&) const = default;
};

// The canonical text of an address; "::ffff:192.0.2.1" is "192.0.2.1". nullopt: not an address.
std::optional<std::string> canonical_ip(std::string_view text);

// Loopback (127.0.0.0/8, ::1), the unspecified address (0.0.0.0/8, ::) and IPv4-compatible forms
// of those (::127.0.0.1): a client with such an address is this host or a proxy on it, never the
// sending MTA, so no sender authorization can be decided from it (RFC 7208 §2.1 is about the
// SMTP client; a local relay in front of us hides the real one).
bool is_local_address(const IpAddress& address);

struct IpPrefix {
  IpAddress network;  // host bits cleared
  uint8_t length = 0;

  // "192.0.2.0/24", "2001:db8::/32", or one address (a /32 or /128). Host bits set below the
  // prefix length are refused (a typo that would match more than written).
  static std::optional<IpPrefix> parse(std::string_view text);
  bool contains(const IpAddress& address) const;  // false across families
  std::string to_string() const;
};

}  // namespace hikyaku::core
