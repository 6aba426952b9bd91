// Percent-decoding of URIs and of our own escaped record fields (RFC 3986 §2.1: "%" HEXDIG
// HEXDIG, either case). Shared by the report-address parsers (RFC 8460 §3, RFC 9990) and the
// report stores' line formats.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace hikyaku::core {

// The value of one hex digit of either case, -1 for anything else.
inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// `s` with each %XX replaced by its octet; nullopt on a "%" not followed by two hex digits.
inline std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_digit_value(s[i + 1]);
    const int lo = hex_digit_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace hikyaku::core
