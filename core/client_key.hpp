// The key one client's share of a limit is counted under (connections, SPF checks): an IPv4
// address, or an IPv6 address's /64 (a host or LAN is usually given a whole /64, RFC 6177 §2,
// so counting per v6 address would let one client take any number of shares).
#pragma once
#include <string>
#include <string_view>

namespace hikyaku::core {

// "192.0.2.7" → "192.0.2.7"; "2001:db8:1:2:3:4:5:6" → "2001:db8:1:2::/64"; an IPv4-mapped
// IPv6 address (RFC 4291 §2.5.5.2) → its IPv4 address. Text that is not an IP address is its
// own key.
std::string client_key(std::string_view ip);

}  // namespace hikyaku::core
