// Pure checks of single configuration values; see values.hpp. Also ListenAddress::text().
// RFC 5321 §4.1.2, §4.2, §4.5.3.1; RFC 3463 §2; RFC 6376 §3.1; RFC 8601 §2.2.
#include "config/values.hpp"

#include <arpa/inet.h>

namespace hikyaku::config {

std::string ListenAddress::text() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

namespace detail {

namespace {

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// Canonical text of an address of `family`, or nullopt when `text` is not one.
std::optional<std::string> canonical_ip(int family, std::string_view text) {
  if (text.empty() || has_nul(text) || text.size() > 64) return std::nullopt;
  const std::string copy(text);
  unsigned char buf[16];
  if (inet_pton(family, copy.c_str(), buf) != 1) return std::nullopt;
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(family, buf, out, sizeof out) == nullptr) return std::nullopt;
  return std::string(out);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

namespace {

void append_escaped(std::string& out, char c) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) {
    out += "\\x";
    out += hex[u >> 4];
    out += hex[u & 0xf];
  } else {
    out += c;
  }
}

}  // namespace

std::string quote(std::string_view text, size_t max_shown) {
  std::string out = "\"";
  size_t shown = 0;  // code points, so a shortened value never ends inside a UTF-8 sequence
  for (char c : text) {
    const bool continuation = (static_cast<unsigned char>(c) & 0xC0) == 0x80;
    if (!continuation && ++shown > max_shown) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') out += '\\';
    append_escaped(out, c);
  }
  out += '"';
  return out;
}

std::string escape_controls(std::string_view text) {
  std::string out;
  for (char c : text) append_escaped(out, c);
  return out;
}

bool is_ipv4(std::string_view text) { return canonical_ip(AF_INET, text).has_value(); }
bool is_ipv6(std::string_view text) { return canonical_ip(AF_INET6, text).has_value(); }

core::Expected<ListenAddress, std::string> parse_host_port(std::string_view text, bool allow_port_zero) {
  using core::unexpected;
  if (text.empty()) return unexpected(std::string("empty address"));
  std::string_view host;
  std::string_view port;
  int family = AF_INET;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return unexpected(std::string("missing ']' after IPv6 address"));
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return unexpected(std::string("missing ':PORT' after the address"));
    }
    port = text.substr(close + 2);
    family = AF_INET6;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return unexpected(std::string("missing ':PORT'"));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return unexpected(std::string("an IPv6 address needs brackets, as in [::1]:2525"));
    }
  }
  const auto canonical = canonical_ip(family, host);
  if (!canonical) {
    return unexpected(std::string(family == AF_INET6
                                      ? "not an IPv6 address in the brackets"
                                      : "host must be an IP address (IPv4, or IPv6 in brackets)"));
  }
  if (port.empty() || port.size() > 5)
    return unexpected(std::string("port must be a number from 1 to 65535"));
  unsigned value = 0;
  for (char c : port) {
    if (!is_digit(c)) return unexpected(std::string("port must be a number from 1 to 65535"));
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535 || (value == 0 && !allow_port_zero)) {
    return unexpected(std::string("port must be a number from 1 to 65535"));
  }
  ListenAddress out;
  out.host = *canonical;
  out.port = static_cast<uint16_t>(value);
  return out;
}

bool is_selector(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  size_t start = 0;
  while (true) {
    const auto dot = text.find('.', start);
    const auto label =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (!is_alnum(label.front()) || !is_alnum(label.back())) return false;
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  constexpr std::string_view tspecials = "()<>@,;:\\\"/[]?=";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || tspecials.find(c) != std::string_view::npos) return false;
  }
  return true;
}

std::optional<std::string> check_local_part(std::string_view local) {
  if (local.empty()) return "must not be empty";
  if (local.size() > 64) return "local part longer than 64 octets (RFC 5321 §4.5.3.1.1)";
  if (local.find('@') != std::string_view::npos) {
    return "must be a local part only, without \"@\" and domain";
  }
  for (char c : local) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "must not contain control characters";
  }
  return std::nullopt;
}

std::optional<std::string> check_separator(std::string_view separator) {
  if (separator.empty()) return "must not be empty";
  for (char c : separator) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || is_alnum(c) || c == '@' || c == '"' || c == '\\') {
      return "must be punctuation characters such as \"+\" or \"+-\" (not letters, digits, "
             "space, \"@\", quote or backslash)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_reply_text(std::string_view text, int code) {
  if (text.empty()) return "must not be empty";
  for (char c : text) {
    if (c == '\r' || c == '\n') return "must not contain CR or LF";
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u != '\t' && (u < 0x20 || u >= 0x7f)) {
      return "must be printable ASCII (RFC 5321 §4.2 textstring)";
    }
  }
  if (text.size() > 506)
    return "longer than 506 characters; a reply line is at most 512 (RFC 5321 §4.5.3.1.5)";
  // A leading enhanced status code "C.SSS.DDD" (RFC 3463 §2) must agree with the reply class.
  if (text.size() >= 5 && (text[0] == '2' || text[0] == '4' || text[0] == '5') && text[1] == '.') {
    size_t i = 2;
    auto digits = [&] {  // 1 to 3 digits at i
      const size_t start = i;
      while (i < text.size() && is_digit(text[i])) ++i;
      return i > start && i - start <= 3;
    };
    bool is_code = digits() && i < text.size() && text[i] == '.';
    if (is_code) {
      ++i;
      is_code = digits() && (i == text.size() || text[i] == ' ');
    }
    if (is_code && text[0] - '0' != code / 100) {
      return "enhanced status code " + std::string(text.substr(0, i)) + " does not match reply code " +
             std::to_string(code) + " (RFC 3463 §2)";
    }
  }
  return std::nullopt;
}

std::string default_reject_text(int code) {
  return code < 500 ? "4.2.0 Recipient temporarily unavailable" : "5.1.1 Recipient address rejected";
}

}  // namespace detail
}  // namespace hikyaku::config
