// SPF record syntax, RFC 7208 §12 (collected ABNF): version, terms separated by SP,
// directive = [qualifier] mechanism, modifier = name "=" macro-string, domain-spec =
// macro-string domain-end, macro-expand (§7.1), ip4/ip6 networks and CIDR lengths (§5.6).
#include "doctor/spf_record.hpp"

#include <charconv>

#include "core/ascii.hpp"
#include "dns/names.hpp"

namespace hikyaku::doctor {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = core::ascii_lower(c);
  return out;
}

struct Error {
  size_t offset;  // within the term
  std::string message;
};

// §7.1 macro-string: macro-expand / macro-literal (%x21-24 / %x26-7E). Sets `macros`.
std::optional<Error> check_macro_string(std::string_view s, size_t base, bool& macros) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 1 >= s.size()) return Error{base + i, "'%' at the end (write \"%%\" for a percent sign)"};
      const char n = s[i + 1];
      if (n == '%' || n == '_' || n == '-') {
        ++i;
        continue;
      }
      if (n != '{') return Error{base + i, std::string("bad macro \"%") + n + "\" (expected %{x}, %%, %_ or %-)"};
      const size_t close = s.find('}', i);
      if (close == std::string_view::npos) return Error{base + i, "macro without a closing '}'"};
      const std::string_view body = s.substr(i + 2, close - i - 2);
      if (body.empty() || std::string_view("slodiphcrtvSLODIPHCRTV").find(body[0]) == std::string_view::npos) {
        return Error{base + i, "unknown macro letter in \"" + std::string(s.substr(i, close - i + 1)) + "\""};
      }
      size_t k = 1;
      while (k < body.size() && is_digit(body[k])) ++k;
      if (k < body.size() && (body[k] == 'r' || body[k] == 'R')) ++k;
      while (k < body.size() && std::string_view(".-+,/_=").find(body[k]) != std::string_view::npos) ++k;
      if (k != body.size()) {
        return Error{base + i, "bad macro \"" + std::string(s.substr(i, close - i + 1)) + "\""};
      }
      macros = true;
      i = close;
      continue;
    }
    if (c < 0x21 || c > 0x7E) return Error{base + i, "character not allowed in a macro-string"};
  }
  return std::nullopt;
}

// §12 toplabel: alphanumerics with at least one letter, or with inner hyphens.
bool is_toplabel(std::string_view l) {
  if (l.empty() || l.front() == '-' || l.back() == '-') return false;
  bool alpha = false, hyphen = false;
  for (const char c : l) {
    if (c == '-') {
      hyphen = true;
    } else if (is_alpha(c)) {
      alpha = true;
    } else if (!is_digit(c)) {
      return false;
    }
  }
  return alpha || hyphen;
}

// domain-spec = macro-string domain-end.
std::optional<Error> check_domain_spec(std::string_view s, size_t base, bool& macros) {
  if (s.empty()) return Error{base, "empty domain"};
  if (auto e = check_macro_string(s, base, macros)) return e;
  if (s.back() == '}') return std::nullopt;  // domain-end = macro-expand
  std::string_view d = s;
  if (d.back() == '.') d.remove_suffix(1);
  const size_t dot = d.rfind('.');
  if (dot == std::string_view::npos) return Error{base, "\"" + std::string(s) + "\" is not a domain name (no dot)"};
  if (!is_toplabel(d.substr(dot + 1))) {
    return Error{base + dot + 1, "\"" + std::string(s) + "\" does not end in a valid top label"};
  }
  if (!macros && !dns::normalise_name(s)) return Error{base, "\"" + std::string(s) + "\" is not a valid domain name"};
  return std::nullopt;
}

std::optional<unsigned> parse_length(std::string_view digits, unsigned max) {
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  unsigned v = 0;
  const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (err != std::errc() || end != digits.data() + digits.size() || v > max) return std::nullopt;
  return v;
}

// Splits a trailing dual-cidr-length ("/24", "//64", "/24//64") off `arg` of a or mx.
std::optional<Error> take_dual_cidr(std::string_view& arg, size_t base, SpfTerm& t) {
  const size_t dd = arg.find("//");
  std::string_view v6;
  if (dd != std::string_view::npos) {
    v6 = arg.substr(dd + 2);
    auto n = parse_length(v6, 128);
    if (!n) return Error{base + dd, "bad IPv6 CIDR length \"//" + std::string(v6) + "\" (0-128)"};
    t.cidr6 = *n;
    arg = arg.substr(0, dd);
  }
  const size_t slash = arg.rfind('/');
  if (slash != std::string_view::npos) {
    const std::string_view v4 = arg.substr(slash + 1);
    auto n = parse_length(v4, 32);
    if (!n) return Error{base + slash, "bad IPv4 CIDR length \"/" + std::string(v4) + "\" (0-32)"};
    t.cidr4 = *n;
    arg = arg.substr(0, slash);
  }
  return std::nullopt;
}

std::optional<Error> parse_term(std::string_view term, SpfTerm& t) {
  // A modifier: name "=" (§12 name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )).
  const size_t eq = term.find('=');
  const size_t colon = term.find(':');
  const size_t slash = term.find('/');
  if (eq != std::string_view::npos && (colon == std::string_view::npos || eq < colon) &&
      (slash == std::string_view::npos || eq < slash)) {
    const std::string_view name = term.substr(0, eq);
    if (name.empty() || !is_alpha(name[0])) return Error{0, "bad modifier name \"" + std::string(name) + "\""};
    for (const char c : name) {
      if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return Error{0, "bad modifier name \"" + std::string(name) + "\""};
    }
    t.modifier = true;
    t.name = lower(name);
    const std::string_view value = term.substr(eq + 1);
    if (t.name == "redirect" || t.name == "exp") {
      t.domain = std::string(value);
      return check_domain_spec(value, eq + 1, t.macros);
    }
    bool ignored = false;
    return check_macro_string(value, eq + 1, ignored);
  }
  size_t at = 0;
  if (!term.empty() && std::string_view("+-~?").find(term[0]) != std::string_view::npos) {
    t.qualifier = term[0];
    at = 1;
  }
  std::string_view rest = term.substr(at);
  size_t name_end = 0;
  while (name_end < rest.size() && is_alnum(rest[name_end])) ++name_end;
  t.name = lower(rest.substr(0, name_end));
  std::string_view arg = rest.substr(name_end);
  const size_t arg_base = at + name_end;
  const auto need_domain = [&](bool required) -> std::optional<Error> {
    if (arg.empty()) {
      if (required) return Error{arg_base, t.name + " needs \":domain\""};
      return std::nullopt;
    }
    if (arg[0] != ':') return Error{arg_base, "unexpected \"" + std::string(arg) + "\" after " + t.name};
    t.domain = std::string(arg.substr(1));
    return check_domain_spec(arg.substr(1), arg_base + 1, t.macros);
  };
  if (t.name == "all") {
    if (!arg.empty()) return Error{arg_base, "\"all\" takes no argument"};
    return std::nullopt;
  }
  if (t.name == "include" || t.name == "exists") return need_domain(true);
  if (t.name == "ptr") return need_domain(false);
  if (t.name == "a" || t.name == "mx") {
    if (auto e = take_dual_cidr(arg, arg_base, t)) return e;
    return need_domain(false);
  }
  if (t.name == "ip4" || t.name == "ip6") {
    if (arg.empty() || arg[0] != ':') return Error{arg_base, t.name + " needs \":address\""};
    const std::string_view net = arg.substr(1);
    auto prefix = parse_prefix(net);
    const bool v4 = t.name == "ip4";
    if (!prefix || prefix->network.is_v4() != v4 || net.find('/') == net.size() - 1) {
      return Error{arg_base + 1, "\"" + std::string(net) + "\" is not an " + (v4 ? "IPv4" : "IPv6") + " network"};
    }
    if (net.find('/') != std::string_view::npos &&
        !parse_length(net.substr(net.find('/') + 1), v4 ? 32 : 128)) {
      return Error{arg_base + 1, "bad CIDR length in \"" + std::string(net) + "\""};
    }
    t.network = prefix;
    return std::nullopt;
  }
  return Error{at, "unknown mechanism \"" + std::string(rest.substr(0, name_end == 0 ? rest.size() : name_end)) + "\""};
}

}  // namespace

const SpfTerm* SpfRecord::find_modifier(std::string_view name) const {
  for (const auto& t : terms) {
    if (t.modifier && t.name == name) return &t;
  }
  return nullptr;
}

const SpfTerm* SpfRecord::find_all() const {
  for (const auto& t : terms) {
    if (!t.modifier && t.name == "all") return &t;
  }
  return nullptr;
}

bool is_spf_record(std::string_view text) {
  if (text.size() < 6 || !core::ascii_iequals(text.substr(0, 6), "v=spf1")) return false;
  return text.size() == 6 || text[6] == ' ';
}

core::Expected<SpfRecord, SpfSyntaxError> parse_spf_record(std::string_view text) {
  if (!is_spf_record(text)) return core::unexpected(SpfSyntaxError{1, "does not start with \"v=spf1\""});
  SpfRecord record;
  size_t pos = 6;
  while (pos < text.size()) {
    if (text[pos] != ' ') {
      return core::unexpected(SpfSyntaxError{pos + 1, "terms are separated by spaces only"});
    }
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos >= text.size()) break;
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view term = text.substr(pos, end - pos);
    SpfTerm t;
    t.column = pos + 1;
    t.text = std::string(term);
    if (auto e = parse_term(term, t)) {
      return core::unexpected(SpfSyntaxError{pos + 1 + e->offset, e->message + " in \"" + t.text + "\""});
    }
    if (t.modifier && (t.name == "redirect" || t.name == "exp") && record.find_modifier(t.name)) {
      return core::unexpected(SpfSyntaxError{t.column, "a second " + t.name + "= (RFC 7208 §6)"});
    }
    record.terms.push_back(std::move(t));
    pos = end;
  }
  return record;
}

}  // namespace hikyaku::doctor
