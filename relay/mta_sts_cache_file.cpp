// Rendering and parsing the cached-policy file (RFC 8461 §5.1 caching; §3.1 id syntax; §3.2
// policy body). Strict: a file that is not exactly what render_cached_policy writes is refused,
// and the body is parsed again with the policy parser, so nothing unchecked comes back in.
#include "relay/mta_sts_cache_file.hpp"

#include <algorithm>
#include <charconv>

namespace hikyaku::relay {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Lowercase LDH labels of 1..63 octets, 253 at most, no trailing dot.
bool is_host_name(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  size_t start = 0;
  for (;;) {
    const size_t dot = d.find('.', start);
    const std::string_view label = d.substr(start, dot == std::string_view::npos ? d.npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (!is_alnum(label.front()) || !is_alnum(label.back())) return false;
    for (char c : label) {
      if ((c >= 'A' && c <= 'Z') || (!is_alnum(c) && c != '-')) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Takes "<key>: <value>\n" off the front of `text`.
core::Expected<std::string_view, std::string> header_field(std::string_view& text, std::string_view key) {
  const size_t lf = text.find('\n');
  if (lf == std::string_view::npos) return core::unexpected("truncated before " + std::string(key));
  const std::string_view line = text.substr(0, lf);
  text.remove_prefix(lf + 1);
  if (line.size() <= key.size() + 2 || line.substr(0, key.size()) != key ||
      line.substr(key.size(), 2) != ": ") {
    return core::unexpected("expected \"" + std::string(key) + ": \"");
  }
  return line.substr(key.size() + 2);
}

}  // namespace

std::string render_cached_policy(const CachedMtaStsPolicy& cached) {
  std::string out(kMtaStsCacheMagic);
  out += "\ndomain: " + cached.domain;
  out += "\nid: " + cached.id;
  out += "\nexpires: " + std::to_string(cached.expires.time_since_epoch().count());
  out += "\n\n";
  out += cached.body;
  return out;
}

core::Expected<CachedMtaStsPolicy, std::string> parse_cached_policy(std::string_view text) {
  CachedMtaStsPolicy out;
  const size_t first = text.find('\n');
  if (first == std::string_view::npos || text.substr(0, first) != kMtaStsCacheMagic) {
    return core::unexpected(std::string("not a cached MTA-STS policy (first line)"));
  }
  text.remove_prefix(first + 1);
  auto domain = header_field(text, "domain");
  if (!domain) return core::unexpected(domain.error());
  if (!is_host_name(*domain)) return core::unexpected(std::string("domain is not a lowercase host name"));
  out.domain = std::string(*domain);
  auto id = header_field(text, "id");
  if (!id) return core::unexpected(id.error());
  // RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT)
  if (id->empty() || id->size() > 32 || !std::all_of(id->begin(), id->end(), is_alnum)) {
    return core::unexpected(std::string("id must be 1 to 32 letters or digits"));
  }
  out.id = std::string(*id);
  auto expires = header_field(text, "expires");
  if (!expires) return core::unexpected(expires.error());
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), seconds);
  if (ec != std::errc() || end != expires->data() + expires->size() || seconds < 0 ||
      expires->empty() || ((*expires)[0] == '0' && expires->size() > 1)) {
    return core::unexpected(std::string("expires must be decimal seconds"));
  }
  out.expires = std::chrono::sys_seconds(std::chrono::seconds(seconds));
  if (text.empty() || text.front() != '\n') return core::unexpected(std::string("no blank line after the header"));
  text.remove_prefix(1);
  auto policy = parse_mta_sts_policy(text);
  if (!policy) return core::unexpected("policy: " + policy.error());
  out.body = std::string(text);
  out.policy = std::move(*policy);
  return out;
}

std::string mta_sts_cache_file_name(std::string_view domain) {
  if (!is_host_name(domain)) return {};
  if (domain.substr(0, 4) == "tmp.") return "_" + std::string(domain);
  return std::string(domain);
}

}  // namespace hikyaku::relay
