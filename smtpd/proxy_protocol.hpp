// PROXY protocol v1 (text) and v2 (binary) header parsing, sans I/O.
// HAProxy "The PROXY protocol" versions 1 & 2 (§2.1 human-readable, §2.2 binary).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace hikyaku::smtpd {

struct ProxyHeader {
  bool local = false;        // v2 LOCAL command or v1 "UNKNOWN": use the socket's addresses
  std::string source_ip;     // textual
  uint16_t source_port = 0;
  std::string dest_ip;
  uint16_t dest_port = 0;
  size_t consumed = 0;       // octets of the header; what follows is SMTP
};

struct ProxyIncomplete {};   // feed more bytes
struct ProxyInvalid { std::string reason; };
using ProxyParse = std::variant<ProxyHeader, ProxyIncomplete, ProxyInvalid>;

// Parses a header at the start of `input`. v1 is at most 107 octets; v2 at most 16 + 65535.
// Needs only the bytes so far: ProxyIncomplete until a full header is present.
ProxyParse parse_proxy_header(std::string_view input);

// The largest header we accept; more buffered bytes without a header is invalid.
inline constexpr size_t kMaxProxyHeader = 16 + 65535;

}  // namespace hikyaku::smtpd
