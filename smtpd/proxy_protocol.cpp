// PROXY protocol header parsing: v1 text (spec §2.1) and v2 binary (spec §2.2), sans I/O.
// Incomplete while the bytes so far can still be the start of a valid header; invalid as soon
// as they cannot. Addresses are validated with inet_pton for the announced family.
#include "smtpd/proxy_protocol.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <vector>

namespace hikyaku::smtpd {

namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr size_t kV1MaxLength = 107;  // §2.1: worst case, CRLF included
constexpr std::array<unsigned char, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                        0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

ProxyParse invalid(std::string reason) { return ProxyInvalid{std::move(reason)}; }

bool is_prefix_of(std::string_view part, std::string_view whole) {
  return part.size() <= whole.size() && whole.substr(0, part.size()) == part;
}

// --- v1 ---

bool valid_ip(std::string_view text, int family) {
  if (text.empty() || text.size() > 45) return false;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char out[16];
  return inet_pton(family, buf, out) == 1;
}

// §2.1: a port is a decimal integer in [0..65535]; no sign, no leading zeros.
bool parse_port(std::string_view text, uint16_t& port) {
  if (text.empty() || text.size() > 5) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  uint32_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  if (n > 65535) return false;
  port = static_cast<uint16_t>(n);
  return true;
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t sp = s.find(' ', start);
    out.push_back(s.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

// Can `token` (maybe cut short when `partial`) be field `index` of a TCP4/TCP6 line?
bool v1_token_ok(size_t index, std::string_view token, bool partial, int family) {
  const size_t ip_max = family == AF_INET ? 15 : 45;  // "ffff:...:255.255.255.255"
  const std::string_view ip_chars =
      family == AF_INET ? "0123456789." : "0123456789abcdefABCDEF:.";
  switch (index) {
    case 0:
    case 1:
      if (partial) {
        return token.size() <= ip_max && token.find_first_not_of(ip_chars) == std::string_view::npos;
      }
      return valid_ip(token, family);
    case 2:
    case 3: {
      if (partial) {
        if (token.size() > 5 || token.find_first_not_of("0123456789") != std::string_view::npos) {
          return false;
        }
        return token.size() <= 1 || token[0] != '0';
      }
      uint16_t p = 0;
      return parse_port(token, p);
    }
    default: return false;
  }
}

ProxyParse parse_v1(std::string_view input) {
  const size_t crlf = input.substr(0, kV1MaxLength).find("\r\n");
  const bool complete = crlf != std::string_view::npos;
  if (!complete && input.size() >= kV1MaxLength) return invalid("v1 header longer than 107 octets");
  std::string_view line = complete ? input.substr(0, crlf) : input;
  // A CR may only come right before the LF that ends the line.
  std::string_view body = line;
  if (!complete && !body.empty() && body.back() == '\r') body.remove_suffix(1);
  if (body.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return invalid("v1 header holds a control character");
  }
  body.remove_prefix(kV1Prefix.size());
  const size_t sp = body.find(' ');
  const std::string_view proto = body.substr(0, sp);
  const bool proto_complete = sp != std::string_view::npos || complete;
  if (!proto_complete) {
    if (is_prefix_of(proto, "TCP4") || is_prefix_of(proto, "TCP6") || is_prefix_of(proto, "UNKNOWN")) {
      return ProxyIncomplete{};
    }
    return invalid("v1 unknown protocol");
  }
  if (proto == "UNKNOWN") {
    // §2.1: with UNKNOWN the rest of the line is ignored; the real endpoints are used.
    if (!complete) return ProxyIncomplete{};
    ProxyHeader h;
    h.local = true;
    h.consumed = crlf + 2;
    return h;
  }
  if (proto != "TCP4" && proto != "TCP6") return invalid("v1 unknown protocol");
  if (sp == std::string_view::npos) return invalid("v1 header missing addresses");
  const int family = proto == "TCP4" ? AF_INET : AF_INET6;
  const auto fields = split_spaces(body.substr(sp + 1));
  if (fields.size() > 4) return invalid("v1 header has too many fields");
  for (size_t i = 0; i < fields.size(); ++i) {
    const bool last = i + 1 == fields.size();
    const bool partial = last && !complete;
    if (!v1_token_ok(i, fields[i], partial, family)) {
      return invalid(i < 2 ? "v1 bad address" : "v1 bad port");
    }
  }
  if (!complete) return ProxyIncomplete{};
  if (fields.size() != 4) return invalid("v1 header has too few fields");
  ProxyHeader h;
  h.source_ip = std::string(fields[0]);
  h.dest_ip = std::string(fields[1]);
  parse_port(fields[2], h.source_port);
  parse_port(fields[3], h.dest_port);
  h.consumed = crlf + 2;
  return h;
}

// --- v2 ---

uint16_t be16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

std::string ntop(int family, const unsigned char* addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, addr, buf, sizeof buf);
  return buf;
}

ProxyParse parse_v2(std::string_view input) {
  const auto* p = reinterpret_cast<const unsigned char*>(input.data());
  const size_t n = input.size();
  for (size_t i = 0; i < std::min(n, kV2Signature.size()); ++i) {
    if (p[i] != kV2Signature[i]) return invalid("bad v2 signature");
  }
  if (n < 13) return ProxyIncomplete{};
  // §2.2: the high nibble is the version (2), the low one the command (0 LOCAL, 1 PROXY).
  const unsigned char ver_cmd = p[12];
  if ((ver_cmd >> 4) != 2) return invalid("unsupported v2 version");
  const unsigned cmd = ver_cmd & 0x0F;
  if (cmd > 1) return invalid("unsupported v2 command");
  if (n < 14) return ProxyIncomplete{};
  const unsigned char family = p[13];
  size_t need = 0;
  if (cmd == 1) {
    switch (family) {
      case 0x00: need = 0; break;   // UNSPEC
      case 0x11: need = 12; break;  // TCP over IPv4
      case 0x21: need = 36; break;  // TCP over IPv6
      default: return invalid("unsupported v2 address family");
    }
  }
  if (n < 16) return ProxyIncomplete{};
  const size_t len = be16(p + 14);
  if (len < need) return invalid("v2 length too short for the address family");
  if (n < 16 + len) return ProxyIncomplete{};
  ProxyHeader h;
  h.consumed = 16 + len;
  // §2.2: LOCAL (health checks) ignores the family and addresses; UNSPEC likewise.
  if (cmd == 0 || family == 0x00) {
    h.local = true;
    return h;
  }
  const unsigned char* a = p + 16;
  if (family == 0x11) {
    h.source_ip = ntop(AF_INET, a);
    h.dest_ip = ntop(AF_INET, a + 4);
    h.source_port = be16(a + 8);
    h.dest_port = be16(a + 10);
  } else {
    h.source_ip = ntop(AF_INET6, a);
    h.dest_ip = ntop(AF_INET6, a + 16);
    h.source_port = be16(a + 32);
    h.dest_port = be16(a + 34);
  }
  return h;  // TLVs after the addresses (§2.2.7) are skipped
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view input) {
  if (input.empty()) return ProxyIncomplete{};
  if (input[0] == 'P') {
    if (!is_prefix_of(input.substr(0, kV1Prefix.size()), kV1Prefix)) return invalid("not a PROXY header");
    if (input.size() <= kV1Prefix.size()) return ProxyIncomplete{};
    return parse_v1(input);
  }
  if (static_cast<unsigned char>(input[0]) == kV2Signature[0]) return parse_v2(input);
  return invalid("not a PROXY header");
}

}  // namespace hikyaku::smtpd
