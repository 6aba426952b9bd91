// MTA-STS (RFC 8461): the `_mta-sts` TXT record (§3.1), the policy file served at
// https://mta-sts.<domain>/.well-known/mta-sts.txt (§3.2), and MX host matching against the
// policy's `mx` patterns (§4.1). Pure parsing and matching: the fetch and the cache live elsewhere.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace hikyaku::relay {

// RFC 8461 §3.1: "v=STSv1; id=<1-32 alphanumerics>;" and extensions, which are ignored.
struct MtaStsRecord {
  std::string id;
};

// One TXT record's text (its character-strings already joined).
core::Expected<MtaStsRecord, std::string> parse_mta_sts_record(std::string_view txt);

// What the `_mta-sts` TXT answer says (§3.1): records not starting with "v=STSv1" are discarded;
// if the number left is not one, or that one is invalid, the domain has no usable policy
// (nullopt, with the reason in `why` when given).
std::optional<MtaStsRecord> select_mta_sts_record(const std::vector<std::string>& texts,
                                                  std::string* why = nullptr);

enum class MtaStsMode { enforce, testing, none };
std::string_view to_string(MtaStsMode mode);  // "enforce"

// RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year).
inline constexpr std::chrono::seconds kMtaStsMaxAgeLimit{31557600};

struct MtaStsPolicy {
  MtaStsMode mode = MtaStsMode::none;
  std::vector<std::string> mx;  // patterns, lowercase, no trailing dot: "mail.example.com", "*.example.net"
  std::chrono::seconds max_age{0};
  // The policy's fields as "key: value" lines, in order, for a TLS report's policy-string
  // (RFC 8460 §4.4: each line of the policy, without line ends).
  std::vector<std::string> lines;
};

// Parses a policy file body (§3.2): "key: value" lines ended by CRLF or LF (parsers must take
// both); `version: STSv1`, `mode` and `max_age` required, `mx` required unless mode is none;
// keys and the version are case-sensitive (%s in the ABNF); unknown keys ignored; of a known key
// other than mx given twice the first counts; max_age above the limit is cut to it. The error is
// one line, for logs and reports.
core::Expected<MtaStsPolicy, std::string> parse_mta_sts_policy(std::string_view body);

// §4.1: a pattern matches the MX host name itself, or with "*." exactly one leftmost label
// ("*.example.com" matches "mx.example.com", not "example.com" nor "a.b.example.com").
// Comparison ignores case and a trailing dot.
bool mx_pattern_matches(std::string_view pattern, std::string_view host);

// True when `host` matches one of the policy's mx patterns (§4.1).
bool policy_allows_mx(const MtaStsPolicy& policy, std::string_view host);

}  // namespace hikyaku::relay
