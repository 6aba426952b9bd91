// Parsing and printing of SMTP mailbox addresses: RFC 5321 §4.1.2 (Path, Mailbox, Local-part,
// Domain, address literals §4.1.3), §4.1.1.3 / appendix C (source routes ignored), §4.5.3.1
// (size limits), RFC 6531 §3.3 (UTF-8 under SMTPUTF8), RFC 5890-5892 + UTS #46 via libidn2.
// Pure: no I/O, no DNS, no exceptions; every failure is an AddressError value.
#include "core/address.hpp"
#include "core/ascii.hpp"

#include <arpa/inet.h>
#include <idn2.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace hikyaku::core {

namespace {

constexpr size_t kMaxLocalPart = 64;  // RFC 5321 §4.5.3.1.1
constexpr size_t kMaxDomain = 255;    // RFC 5321 §4.5.3.1.2
constexpr size_t kMaxPath = 256;      // RFC 5321 §4.5.3.1.3, including "<" and ">"
constexpr size_t kMaxLabel = 63;      // RFC 1035 §2.3.4, RFC 5890 §2.3.2.1

bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_let_dig(unsigned char c) { return is_alpha(c) || is_digit(c); }
bool is_ldh(unsigned char c) { return is_let_dig(c) || c == '-'; }

// atext (RFC 5322 §3.2.3) as RFC 5321 §4.1.2 uses it, plus UTF8-non-ascii (RFC 6531 §3.3).
bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if (is_let_dig(c)) return true;
  constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
  return specials.find(static_cast<char>(c)) != std::string_view::npos;
}

// qtextSMTP (RFC 5321 §4.1.2): %d32-33 / %d35-91 / %d93-126, plus UTF8-non-ascii (RFC 6531).
bool is_qtext(unsigned char c) {
  return c == 32 || c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) || c >= 0x80;
}

// NUL, CR and LF never belong in an address; refusing them stops command/header injection.
bool has_forbidden_control(std::string_view s) {
  return s.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos;
}

bool has_non_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return true;
  }
  return false;
}

// Well-formed UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second octet
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (n - i < len) return false;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      const auto ck = static_cast<unsigned char>(s[i + k]);
      if (ck < 0x80 || ck > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

// Dot-string = Atom *("." Atom) (RFC 5321 §4.1.2).
bool is_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char ch : s) {
    if (ch == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(static_cast<unsigned char>(ch))) {
      return false;
    }
    prev = ch;
  }
  return true;
}


// Checks shared by every entry point, in the order the errors are reported.
Expected<bool, AddressError> precheck(std::string_view s, bool allow_utf8) {
  if (has_forbidden_control(s)) return unexpected(AddressError::syntax);
  if (has_non_ascii(s)) {
    if (!allow_utf8) return unexpected(AddressError::utf8_not_allowed);  // RFC 6531 §3.4
    if (!valid_utf8(s)) return unexpected(AddressError::syntax);
  }
  return true;
}

struct IdnFree {
  void operator()(char* p) const { std::free(p); }
};

// One label that needs IDNA processing (a U-label, or an ASCII "xn--" label to be checked)
// → a lowercase A-label, or bad_domain.
Expected<std::string, AddressError> idna_label(const std::string& label) {
  char* raw = nullptr;
  // RFC 5891 §4 (registration/lookup), UTS #46 non-transitional mapping, NFC input.
  const int rc = idn2_to_ascii_8z(label.c_str(), &raw, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  std::unique_ptr<char, IdnFree> out(raw);
  if (rc != IDN2_OK || !out) return unexpected(AddressError::bad_domain);
  std::string result = ascii_lower(out.get());
  // UTS #46 mapping can produce dots (U+3002) or non-LDH ASCII (U+FF20 → "@"): refuse both,
  // so one written label is always one label on the wire.
  if (result.empty() || result.size() > kMaxLabel) return unexpected(AddressError::bad_domain);
  for (unsigned char c : result) {
    if (!is_ldh(c)) return unexpected(AddressError::bad_domain);
  }
  if (result.front() == '-' || result.back() == '-') return unexpected(AddressError::bad_domain);
  return result;
}

// Converts a hostname known to be free of NUL/CR/LF and, if non-ASCII, valid UTF-8.
Expected<std::string, AddressError> hostname_to_ascii(std::string_view domain) {
  // Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (RFC 5321 §4.1.2)
  // or a U-label (RFC 6531 §3.3). No trailing dot: RFC 5321 §2.3.5 wants FQDNs without it.
  if (domain.empty()) return unexpected(AddressError::syntax);
  if (domain.size() > kMaxDomain) return unexpected(AddressError::too_long);
  std::string out;
  out.reserve(domain.size());
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return unexpected(AddressError::syntax);
    // ASCII octets of any label must be letters, digits or hyphens (U-labels included:
    // IDNA 2008 allows no other ASCII code points).
    for (unsigned char c : label) {
      if (c < 0x80 && !is_ldh(c)) return unexpected(AddressError::syntax);
    }
    if (!out.empty()) out += '.';
    if (has_non_ascii(label) || core::ascii_istarts_with(label, "xn--")) {
      auto a = idna_label(std::string(label));
      if (!a) return unexpected(a.error());
      // An A-label must round-trip (RFC 5891 §5.4): libidn2's form equals the lowercased input.
      if (!has_non_ascii(label) && *a != ascii_lower(label)) {
        return unexpected(AddressError::bad_domain);
      }
      out += *a;
    } else {
      if (label.front() == '-' || label.back() == '-') return unexpected(AddressError::syntax);
      if (label.size() > kMaxLabel) return unexpected(AddressError::bad_domain);
      out += ascii_lower(label);
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (out.size() > kMaxDomain) return unexpected(AddressError::too_long);
  return out;
}

// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]" (RFC 5321 §4.1.3).
// General-address-literal tags other than IPv6 are not accepted. Kept as written.
Expected<std::string, AddressError> parse_address_literal(std::string_view s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return unexpected(AddressError::syntax);
  const std::string_view inner = s.substr(1, s.size() - 2);
  if (inner.size() > 64) return unexpected(AddressError::bad_domain);
  unsigned char buf[sizeof(struct in6_addr)];
  if (core::ascii_istarts_with(inner, "IPv6:")) {
    const std::string ip(inner.substr(5));
    if (inet_pton(AF_INET6, ip.c_str(), buf) != 1) return unexpected(AddressError::bad_domain);
  } else {
    const std::string ip(inner);
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1) return unexpected(AddressError::bad_domain);
  }
  return std::string(s);
}

// Mailbox = Local-part "@" ( Domain / address-literal ) (RFC 5321 §4.1.2); `s` is exactly
// the mailbox and has passed precheck().
Expected<Address, AddressError> parse_mailbox_text(std::string_view s) {
  Address a;
  size_t i = 0;
  const size_t n = s.size();
  if (n == 0) return unexpected(AddressError::syntax);
  if (s[0] == '"') {
    // Quoted-string = DQUOTE *QcontentSMTP DQUOTE; quoted-pairSMTP = "\" %d32-126.
    i = 1;
    while (true) {
      if (i >= n) return unexpected(AddressError::syntax);
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') break;
      if (c == '\\') {
        if (i + 1 >= n) return unexpected(AddressError::syntax);
        const auto d = static_cast<unsigned char>(s[i + 1]);
        if (d < 32 || d > 126) return unexpected(AddressError::syntax);
        a.local += static_cast<char>(d);
        i += 2;
        continue;
      }
      if (!is_qtext(c)) return unexpected(AddressError::syntax);
      a.local += static_cast<char>(c);
      ++i;
    }
    ++i;  // the closing quote
  } else {
    i = s.find('@');
    if (i == std::string_view::npos) return unexpected(AddressError::syntax);
    a.local = std::string(s.substr(0, i));
    if (!is_dot_string(a.local)) return unexpected(AddressError::syntax);
  }
  // The limit applies to the local part as written, quotes and backslashes included.
  if (i > kMaxLocalPart) return unexpected(AddressError::too_long);
  if (i >= n || s[i] != '@') return unexpected(AddressError::syntax);
  const std::string_view domain = s.substr(i + 1);
  if (domain.empty()) return unexpected(AddressError::syntax);
  auto d = domain.front() == '[' ? parse_address_literal(domain) : hostname_to_ascii(domain);
  if (!d) return unexpected(d.error());
  a.domain = std::move(*d);
  if (domain != a.domain && !has_non_ascii(domain) && ascii_lower(domain) == a.domain) {
    a.domain_as_sent = std::string(domain);
  }
  a.utf8_local = has_non_ascii(a.local);
  // The path we would send on (A-labels, canonical quoting) must fit the limit too, so that
  // every parsed address can be written back as a valid path.
  if (a.str().size() + 2 > kMaxPath) return unexpected(AddressError::too_long);
  return a;
}

// A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain (RFC 5321 §4.1.2). Returns the
// offset just after the ":" that ends the route.
Expected<size_t, AddressError> skip_source_route(std::string_view s) {
  size_t i = 0;
  while (true) {
    if (i >= s.size() || s[i] != '@') return unexpected(AddressError::syntax);
    const size_t end = s.find_first_of(",:", i + 1);
    if (end == std::string_view::npos) return unexpected(AddressError::syntax);
    auto d = hostname_to_ascii(s.substr(i + 1, end - i - 1));
    if (!d) return unexpected(d.error());
    i = end + 1;
    if (s[end] == ':') return i;
  }
}

std::string quote_local(std::string_view local) {
  std::string out = "\"";
  for (unsigned char c : local) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 32 || c == 127) {
      out += '?';  // not representable (RFC 5321 §4.1.2); never emit control characters
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string Address::str() const {
  if (is_null()) return "";
  std::string out = is_dot_string(local) ? local : quote_local(local);
  if (domain.empty()) return out;  // the bare "<Postmaster>" of RFC 5321 §4.1.1.3
  out += '@';
  out += domain;
  return out;
}

std::string Address::str_as_sent() const {
  if (domain_as_sent.empty()) return str();
  std::string out = is_dot_string(local) ? local : quote_local(local);
  out += '@';
  out += domain_as_sent;
  return out;
}

std::string_view describe(AddressError e) {
  switch (e) {
    case AddressError::syntax:
      return "address syntax error";
    case AddressError::too_long:
      return "address too long";
    case AddressError::utf8_not_allowed:
      return "non-ASCII address without SMTPUTF8";
    case AddressError::bad_domain:
      return "invalid domain name";
  }
  return "address error";
}

Expected<Address, AddressError> parse_path(std::string_view path, PathOptions opts) {
  if (has_forbidden_control(path)) return unexpected(AddressError::syntax);
  if (path.size() > kMaxPath) return unexpected(AddressError::too_long);
  if (auto ok = precheck(path, opts.allow_utf8); !ok) return unexpected(ok.error());
  // Path = "<" [ A-d-l ":" ] Mailbox ">" (RFC 5321 §4.1.2); nothing may follow the ">".
  if (path.size() < 2 || path.front() != '<' || path.back() != '>') {
    return unexpected(AddressError::syntax);
  }
  std::string_view inner = path.substr(1, path.size() - 2);
  if (inner.empty()) {
    // Reverse-path = Path / "<>" (RFC 5321 §4.1.2): null only where the caller allows it.
    if (opts.allow_null) return Address{};
    return unexpected(AddressError::syntax);
  }
  // "RCPT TO:<Postmaster>" without a domain must be accepted (RFC 5321 §4.1.1.3).
  if (opts.allow_bare_postmaster && core::ascii_iequals(inner, "postmaster")) {
    Address a;
    a.local = "postmaster";
    return a;
  }
  if (inner.front() == '@') {
    // Source routes are accepted and ignored (RFC 5321 §4.1.1.3, appendix C).
    auto skip = skip_source_route(inner);
    if (!skip) return unexpected(skip.error());
    inner.remove_prefix(*skip);
  }
  return parse_mailbox_text(inner);
}

Expected<Address, AddressError> parse_mailbox(std::string_view mailbox, bool allow_utf8) {
  if (has_forbidden_control(mailbox)) return unexpected(AddressError::syntax);
  if (mailbox.size() + 2 > kMaxPath) return unexpected(AddressError::too_long);
  if (auto ok = precheck(mailbox, allow_utf8); !ok) return unexpected(ok.error());
  return parse_mailbox_text(mailbox);
}

Expected<std::string, AddressError> domain_to_ascii(std::string_view domain) {
  if (auto ok = precheck(domain, true); !ok) return unexpected(ok.error());
  return hostname_to_ascii(domain);
}

bool local_parts_equal(std::string_view a, std::string_view b) { return core::ascii_iequals(a, b); }

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = core::ascii_lower(c);
  return out;
}

bool is_lowercase_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (const char c : name) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      const bool ldh = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ldh || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

}  // namespace hikyaku::core
