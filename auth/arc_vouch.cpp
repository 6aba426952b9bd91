// Trusted ARC sealers vouching for DMARC: RFC 8617 §7.2.1 (receivers may use a validated chain
// to override a local DMARC failure), §4.1.1 (AAR = "i=N;" + Authentication-Results payload),
// RFC 8601 §2.2 (resinfo = methodspec reasonspec propspec, CFWS allowed between tokens).
#include "auth/arc_vouch.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "auth/tag_list.hpp"
#include "core/address.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

// The value with RFC 5322 comments removed (nested, with quoted-pairs) and quoted strings kept;
// the ";" that separate resinfos are kept only outside quotes and comments.
std::vector<std::string> resinfo_segments(std::string_view v) {
  std::vector<std::string> segments(1);
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\\' && (quoted || depth > 0) && i + 1 < v.size()) {
      if (depth == 0) segments.back() += v.substr(i, 2);
      ++i;
      continue;
    }
    if (depth > 0) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      continue;
    }
    if (quoted) {
      segments.back() += c;
      if (c == '"') quoted = false;
      continue;
    }
    if (c == '(') {
      depth = 1;
      segments.back() += ' ';
    } else if (c == '"') {
      quoted = true;
      segments.back() += c;
    } else if (c == ';') {
      segments.emplace_back();
    } else {
      segments.back() += c;
    }
  }
  return segments;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<int> parse_int(std::string_view s) {
  int n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace

namespace {

// The resinfo of `method` (RFC 8601 §2.2), comments removed: "dmarc=pass header.from=x".
std::optional<std::string> method_resinfo(std::string_view results_value, std::string_view method) {
  for (const std::string& segment : resinfo_segments(results_value)) {
    // methodspec = [CFWS] method [CFWS] "=" [CFWS] result; method = Keyword [ "/" version ]
    std::string_view s = trim(segment);
    const size_t eq = s.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = trim(s.substr(0, eq));
    if (const size_t slash = name.find('/'); slash != std::string_view::npos) {
      name = trim(name.substr(0, slash));
    }
    if (core::ascii_iequals(name, method)) return std::string(trim(s.substr(eq + 1)));
  }
  return std::nullopt;
}

// The first word of `s` (up to white space).
std::string_view first_word(std::string_view s) {
  size_t end = 0;
  while (end < s.size() && !is_space(s[end])) ++end;
  return s.substr(0, end);
}

}  // namespace

std::optional<std::string> method_result(std::string_view results_value, std::string_view method) {
  const auto resinfo = method_resinfo(results_value, method);
  if (!resinfo) return std::nullopt;
  const std::string_view result = first_word(*resinfo);
  if (result.empty()) return std::nullopt;
  return core::ascii_lower(result);
}

std::optional<std::string> method_property(std::string_view results_value, std::string_view method,
                                           std::string_view property) {
  const auto resinfo = method_resinfo(results_value, method);
  if (!resinfo) return std::nullopt;
  // propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue (RFC 8601 §2.2)
  std::string_view rest = *resinfo;
  rest.remove_prefix(first_word(rest).size());
  while (!rest.empty()) {
    rest = trim(rest);
    std::string_view word = first_word(rest);
    rest.remove_prefix(word.size());
    const size_t eq = word.find('=');
    if (eq == std::string_view::npos || !core::ascii_iequals(word.substr(0, eq), property)) continue;
    std::string_view value = word.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.empty()) return std::nullopt;
    return core::ascii_lower(value);
  }
  return std::nullopt;
}

std::optional<ArcVouch> trusted_dmarc_pass(const core::Message& message, const ArcResult& chain,
                                           const std::vector<std::string>& trusted,
                                           std::string_view from_domain) {
  if (chain.cv != ArcResult::Cv::pass || trusted.empty() || from_domain.empty()) return std::nullopt;
  // Sealer domain and AAR payload by instance; the chain validated, so each i appears once.
  std::map<int, std::string> sealers;
  std::map<int, std::string> results;
  for (const auto* f : message.find("ARC-Seal")) {
    auto tags = parse_tag_list(message.field_value(*f));
    if (!tags) continue;
    const std::string* i = tags->find("i");
    const std::string* d = tags->find("d");
    if (!i || !d) continue;
    if (auto n = parse_int(trim(*i))) sealers[*n] = core::ascii_lower(trim(*d));
  }
  for (const auto* f : message.find("ARC-Authentication-Results")) {
    std::string_view v = message.field_value(*f);
    const size_t semi = v.find(';');
    if (semi == std::string_view::npos) continue;
    std::string_view prefix = trim(v.substr(0, semi));  // "i=N" (RFC 8617 §4.1.1)
    if (prefix.size() < 3 || prefix[0] != 'i') continue;
    prefix = trim(prefix.substr(1));
    if (prefix.empty() || prefix[0] != '=') continue;
    if (auto n = parse_int(trim(prefix.substr(1)))) results[*n] = std::string(v.substr(semi + 1));
  }
  // The oldest trusted sealer decides: it saw the message nearest its origin, so a newer one
  // saying pass after it said fail does not count.
  for (const auto& [instance, sealer] : sealers) {  // ascending i=
    if (std::find(trusted.begin(), trusted.end(), sealer) == trusted.end()) continue;
    auto payload = results.find(instance);
    if (payload == results.end()) return std::nullopt;
    if (method_result(payload->second, "dmarc") != std::optional<std::string>("pass")) return std::nullopt;
    // Its AMS must still validate (oldest-pass 0: every AMS does), and it must speak of our From.
    if (chain.oldest_pass != 0 && instance < chain.oldest_pass) return std::nullopt;
    if (method_property(payload->second, "dmarc", "header.from") != core::ascii_lower(from_domain)) {
      return std::nullopt;
    }
    return ArcVouch{instance, sealer};
  }
  return std::nullopt;
}

}  // namespace hikyaku::auth
