// client_key: IPv4 addresses as they are, IPv6 masked to the 64-bit prefix (RFC 4291 §2.5.4,
// the interface identifier is the low 64 bits), IPv4-mapped addresses unmapped (§2.5.5.2).
#include "core/client_key.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace hikyaku::core {

std::string client_key(std::string_view ip) {
  const std::string text(ip);
  std::array<unsigned char, 16> a{};
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (::inet_pton(AF_INET, text.c_str(), a.data()) == 1) {
    ::inet_ntop(AF_INET, a.data(), out.data(), out.size());
    return out.data();
  }
  if (::inet_pton(AF_INET6, text.c_str(), a.data()) != 1) return text;
  static constexpr std::array<unsigned char, 12> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.data(), kMapped.data(), kMapped.size()) == 0) {
    ::inet_ntop(AF_INET, a.data() + 12, out.data(), out.size());
    return out.data();
  }
  for (size_t i = 8; i < a.size(); ++i) a[i] = 0;
  ::inet_ntop(AF_INET6, a.data(), out.data(), out.size());
  return std::string(out.data()) + "/64";
}

}  // namespace hikyaku::core
