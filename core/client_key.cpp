// client_key: IPv4 addresses as they are, IPv6 masked to the 64-bit prefix (RFC 4291 §2.5.4,
// the interface identifier is the low 64 bits), IPv4-mapped addresses unmapped (§2.5.5.2, by
// core::IpAddress).
#include "core/client_key.hpp"

#include "core/ip_address.hpp"

namespace hikyaku::core {

std::string client_key(std::string_view ip) {
  auto address = IpAddress::parse(ip);
  if (!address) return std::string(ip);
  if (!address->v6) return address->to_string();
  for (size_t i = 8; i < address->bytes.size(); ++i) address->bytes[i] = 0;
  return address->to_string() + "/64";
}

}  // namespace hikyaku::core
