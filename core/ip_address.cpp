// Canonical IP address text (RFC 5952, RFC 4291 §2.5.5.2 IPv4-mapped addresses unmapped),
// prefixes and local addresses (see ip_address.hpp).
#include "core/ip_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace hikyaku::core {
namespace {

bool is_v4_mapped(const std::array<uint8_t, 16>& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

bool is_v4_compatible(const std::array<uint8_t, 16>& b) {
  for (int i = 0; i < 12; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

bool v4_is_local(const uint8_t* b) { return b[0] == 127 || b[0] == 0; }

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress out;
  if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) return out;
  if (inet_pton(AF_INET6, buf, out.bytes.data()) == 1) {
    if (is_v4_mapped(out.bytes)) {
      IpAddress v4;
      std::memcpy(v4.bytes.data(), out.bytes.data() + 12, 4);
      return v4;
    }
    out.v6 = true;
    return out;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<std::string> canonical_ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  if (!address) return std::nullopt;
  return address->to_string();
}

bool is_local_address(const IpAddress& address) {
  if (!address.v6) return v4_is_local(address.bytes.data());
  if (!is_v4_compatible(address.bytes)) return false;
  // :: and ::1 are ::0.0.0.0 and ::0.0.0.1; the deprecated IPv4-compatible ::127.0.0.1 too.
  return v4_is_local(address.bytes.data() + 12);
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  IpPrefix out;
  out.network = *address;
  out.length = static_cast<uint8_t>(address->bit_length());
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    unsigned length = 0;
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
    // An IPv4-mapped prefix ("::ffff:192.0.2.0/120") is the IPv4 prefix it maps.
    const bool mapped = !address->v6 && text.substr(0, slash).find(':') != std::string_view::npos;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc() || end != digits.data() + digits.size() || length > (mapped ? 128u : address->bit_length())) {
      return std::nullopt;
    }
    if (mapped) {
      if (length < 96) return std::nullopt;
      length -= 96;
    }
    out.length = static_cast<uint8_t>(length);
  }
  for (size_t bit = out.length; bit < out.network.bit_length(); ++bit) {
    if (out.network.bytes[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;  // host bits set
  }
  return out;
}

bool IpPrefix::contains(const IpAddress& address) const {
  if (address.v6 != network.v6) return false;
  const size_t full = length / 8;
  if (std::memcmp(address.bytes.data(), network.bytes.data(), full) != 0) return false;
  const unsigned rest = length % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address.bytes[full] & mask) == network.bytes[full];
}

std::string IpPrefix::to_string() const {
  return network.to_string() + "/" + std::to_string(length);
}

}  // namespace hikyaku::core
