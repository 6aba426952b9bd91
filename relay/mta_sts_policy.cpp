// MTA-STS record and policy parsing (RFC 8461 §3.1, §3.2) and MX pattern matching (§4.1),
// following the RFC's ABNF; what it leaves open (duplicates, an oversized max_age) is read the
// way that keeps a published policy in force.
#include "relay/mta_sts_policy.hpp"

#include <algorithm>
#include <charconv>

#include "core/ascii.hpp"
#include "relay/txt_fields.hpp"

namespace hikyaku::relay {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_wsp(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

// §3.2 sts-policy-ext-value: visible characters (UTF-8 included) with inner WSP; no controls.
bool is_policy_value(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// A host name as sts-policy-mx-value's Domain (RFC 5321 §4.1.2): LDH labels of 1..63 octets.
bool is_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  size_t start = 0;
  while (start <= d.size()) {
    const size_t dot = d.find('.', start);
    const std::string_view label = d.substr(start, dot == std::string_view::npos ? d.npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (!is_alnum(label.front()) || !is_alnum(label.back())) return false;
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

std::string normalise_host(std::string_view h) {
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  std::string out(h);
  for (char& c : out) c = core::ascii_lower(c);
  return out;
}

}  // namespace

std::string_view to_string(MtaStsMode mode) {
  switch (mode) {
    case MtaStsMode::enforce: return "enforce";
    case MtaStsMode::testing: return "testing";
    case MtaStsMode::none: return "none";
  }
  return "none";
}

core::Expected<MtaStsRecord, std::string> parse_mta_sts_record(std::string_view txt) {
  // sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
  auto fields = split_txt_fields(txt, "v=STSv1");
  if (!fields) return core::unexpected(fields.error());
  std::optional<std::string> id;
  for (const auto& f : *fields) {
    if (f.name == "id") {
      // sts-id = %s"id=" 1*32(ALPHA / DIGIT)
      const bool ok = !f.value.empty() && f.value.size() <= 32 &&
                      std::all_of(f.value.begin(), f.value.end(), is_alnum);
      if (!ok) return core::unexpected(std::string("id must be 1 to 32 letters or digits"));
      if (!id) id = std::string(f.value);
    } else if (!is_txt_extension_name(f.name) || !is_txt_extension_value(f.value)) {
      return core::unexpected("malformed field: " + std::string(f.name));
    }
  }
  if (!id) return core::unexpected(std::string("no id"));
  return MtaStsRecord{std::move(*id)};
}

std::optional<MtaStsRecord> select_mta_sts_record(const std::vector<std::string>& texts,
                                                  std::string* why) {
  const std::string* record_text = select_versioned_record(texts, "v=STSv1", why);
  if (record_text == nullptr) return std::nullopt;
  auto record = parse_mta_sts_record(*record_text);
  if (!record) {
    if (why != nullptr) *why = "invalid v=STSv1 record: " + record.error();
    return std::nullopt;
  }
  return std::move(*record);
}

core::Expected<MtaStsPolicy, std::string> parse_mta_sts_policy(std::string_view body) {
  MtaStsPolicy policy;
  bool have_version = false;
  bool have_mode = false;
  bool have_max_age = false;
  size_t line_no = 0;
  while (!body.empty()) {
    ++line_no;
    // sts-policy-term = LF / CRLF
    const size_t lf = body.find('\n');
    std::string_view line = body.substr(0, lf);
    body = lf == std::string_view::npos ? std::string_view() : body.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (body.empty()) break;  // the final line end
      return core::unexpected("line " + std::to_string(line_no) + ": empty line");
    }
    const std::string where = "line " + std::to_string(line_no) + ": ";
    // sts-policy-field-delim = ":" *WSP; trailing *WSP after a field is allowed.
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return core::unexpected(where + "no ':'");
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = trim_wsp(line.substr(colon + 1));
    if (!is_txt_extension_name(key)) return core::unexpected(where + "malformed key");
    if (!is_policy_value(value)) return core::unexpected(where + "missing or malformed value");
    policy.lines.push_back(std::string(key) + ": " + std::string(value));
    if (key == "version") {
      if (value != "STSv1") return core::unexpected(where + "version is not STSv1");
      have_version = true;
    } else if (key == "mode") {
      if (have_mode) continue;  // the first counts
      if (value == "enforce") policy.mode = MtaStsMode::enforce;
      else if (value == "testing") policy.mode = MtaStsMode::testing;
      else if (value == "none") policy.mode = MtaStsMode::none;
      else return core::unexpected(where + "mode must be enforce, testing or none");
      have_mode = true;
    } else if (key == "max_age") {
      if (have_max_age) continue;
      // sts-policy-max-age-value = 1*10(DIGIT)
      if (value.size() > 10) return core::unexpected(where + "max_age has more than 10 digits");
      uint64_t seconds = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return core::unexpected(where + "max_age is not a number of seconds");
      }
      policy.max_age = std::min(std::chrono::seconds(static_cast<int64_t>(seconds)), kMtaStsMaxAgeLimit);
      have_max_age = true;
    } else if (key == "mx") {
      // sts-policy-mx-value = ["*."] Domain
      std::string_view domain = value.substr(0, 2) == "*." ? value.substr(2) : value;
      if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);  // an absolute name
      if (!is_domain(domain)) return core::unexpected(where + "mx is not a host name or *.domain");
      policy.mx.push_back(normalise_host(value));
    }
    // Any other key is an extension: ignored (§3.2).
  }
  if (!have_version) return core::unexpected(std::string("no version field"));
  if (!have_mode) return core::unexpected(std::string("no mode field"));
  if (!have_max_age) return core::unexpected(std::string("no max_age field"));
  if (policy.mx.empty() && policy.mode != MtaStsMode::none) {
    return core::unexpected(std::string("no mx field (required unless mode is none)"));
  }
  return policy;
}

bool mx_pattern_matches(std::string_view pattern, std::string_view host) {
  const std::string p = normalise_host(pattern);
  const std::string h = normalise_host(host);
  if (p.empty() || h.empty()) return false;
  if (std::string_view(p).substr(0, 2) != "*.") return p == h;
  // The wildcard stands for exactly one label, the leftmost (§4.1).
  const size_t dot = h.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  return std::string_view(h).substr(dot + 1) == std::string_view(p).substr(2);
}

bool policy_allows_mx(const MtaStsPolicy& policy, std::string_view host) {
  for (const auto& pattern : policy.mx) {
    if (mx_pattern_matches(pattern, host)) return true;
  }
  return false;
}

}  // namespace hikyaku::relay
