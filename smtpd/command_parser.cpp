// Parsing of SMTP command lines and of the MAIL/RCPT arguments.
// RFC 5321 §4.1.1 (commands), §4.1.2 (Path, esmtp-param), RFC 1870 §3, RFC 6152 §2, RFC 6531 §3.4.
#include "smtpd/command_parser.hpp"
#include "core/ascii.hpp"

#include <array>
#include <limits>
#include <utility>

namespace hikyaku::smtpd {

namespace {



constexpr std::array<std::pair<std::string_view, Verb>, 12> kVerbs{{
    {"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
    {"DATA", Verb::data}, {"RSET", Verb::rset}, {"NOOP", Verb::noop}, {"QUIT", Verb::quit},
    {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn}, {"HELP", Verb::help}, {"STARTTLS", Verb::starttls},
}};

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
bool valid_keyword(std::string_view k) {
  if (k.empty() || !is_alnum(k[0])) return false;
  for (char c : k) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

// RFC 1870 §3: size-value = 1*20DIGIT. Values beyond UINT64_MAX saturate (they exceed any limit).
std::optional<uint64_t> parse_size_value(std::string_view v) {
  if (v.empty() || v.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<uint64_t>(c - '0');
    if (n > (std::numeric_limits<uint64_t>::max() - d) / 10) {
      n = std::numeric_limits<uint64_t>::max();
    } else {
      n = n * 10 + d;
    }
  }
  return n;
}

}  // namespace

Command parse_command(std::string_view line) {
  while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
  const size_t sp = line.find(' ');
  const std::string_view verb = line.substr(0, sp);
  Command cmd;
  if (sp != std::string_view::npos) cmd.arg = line.substr(sp + 1);
  for (const auto& [name, v] : kVerbs) {
    if (core::ascii_iequals(verb, name)) {
      cmd.verb = v;
      break;
    }
  }
  return cmd;
}

bool has_forbidden_octet(std::string_view line) {
  return line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

PathArgumentResult split_path_argument(std::string_view arg, std::string_view keyword) {
  PathArgumentResult result;
  if (!core::ascii_istarts_with(arg, keyword)) return result;  // syntax
  arg.remove_prefix(keyword.size());
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (arg.empty()) return result;  // syntax: "MAIL FROM:"
  result.error = PathArgumentError::bad_path;
  if (arg.front() != '<') return result;
  // Find the closing '>' outside a quoted string (RFC 5321 §4.1.2 Quoted-string, quoted-pairSMTP).
  size_t end = std::string_view::npos;
  bool quoted = false;
  for (size_t i = 1; i < arg.size(); ++i) {
    const char c = arg[i];
    if (quoted && c == '\\') {
      ++i;  // the escaped octet, whatever it is
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == '>') {
      end = i;
      break;
    }
  }
  if (end == std::string_view::npos) return result;
  PathArgument out;
  out.path = arg.substr(0, end + 1);
  std::string_view rest = arg.substr(end + 1);
  if (!rest.empty() && rest.front() != ' ') return result;  // "<a@b>X"
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    const size_t sp = rest.find(' ');
    out.params.push_back(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
  }
  result.value = std::move(out);
  return result;
}

std::optional<MailParameters> parse_mail_parameters(const std::vector<std::string_view>& params) {
  MailParameters out;
  bool seen_size = false, seen_body = false, seen_utf8 = false;
  for (std::string_view p : params) {
    const size_t eq = p.find('=');
    const std::string_view key = p.substr(0, eq);
    const bool has_value = eq != std::string_view::npos;
    const std::string_view value = has_value ? p.substr(eq + 1) : std::string_view();
    if (!valid_keyword(key)) return std::nullopt;
    if (core::ascii_iequals(key, "SIZE")) {
      if (seen_size || !has_value) return std::nullopt;
      seen_size = true;
      out.size = parse_size_value(value);
      if (!out.size) return std::nullopt;
    } else if (core::ascii_iequals(key, "BODY")) {
      if (seen_body || !has_value) return std::nullopt;
      seen_body = true;
      if (core::ascii_iequals(value, "7BIT")) {
        out.body = core::BodyType::seven_bit;
      } else if (core::ascii_iequals(value, "8BITMIME")) {
        out.body = core::BodyType::eight_bit_mime;
      } else {
        return std::nullopt;
      }
    } else if (core::ascii_iequals(key, "SMTPUTF8")) {
      if (seen_utf8 || has_value) return std::nullopt;  // RFC 6531 §3.4: no value
      seen_utf8 = true;
      out.smtputf8 = true;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace hikyaku::smtpd
