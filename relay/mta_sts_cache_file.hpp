// The on-disk form of one cached MTA-STS policy (RFC 8461 §5.1: a policy is cached until its
// max_age and survives restarts, so that blocking the fetch after a restart cannot downgrade
// a domain): a short header (domain, the TXT id, the expiry) and the policy body as fetched.
// Pure rendering and parsing; where the files live is the caller's business.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "relay/mta_sts_policy.hpp"

namespace hikyaku::relay {

struct CachedMtaStsPolicy {
  std::string domain;                   // lowercase A-labels, no trailing dot
  std::string id;                       // the `_mta-sts` TXT id the policy was fetched under
  std::chrono::sys_seconds expires{};   // fetched + max_age
  std::string body;                     // the policy file as served (§3.2)
  MtaStsPolicy policy;                  // parse_mta_sts_policy(body), filled by the parser
};

// The file's first line; a later format gets another number.
inline constexpr std::string_view kMtaStsCacheMagic = "hikyaku-mta-sts-cache: 1";

// "hikyaku-mta-sts-cache: 1\ndomain: D\nid: I\nexpires: SECONDS\n\n" then the body.
std::string render_cached_policy(const CachedMtaStsPolicy& cached);

// The reverse, every field checked: the magic line, a host-name domain, an id of 1-32 letters
// or digits (§3.1), expires as decimal Unix seconds, a blank line, and a body that parses as a
// policy. The error is one line, for the log.
core::Expected<CachedMtaStsPolicy, std::string> parse_cached_policy(std::string_view text);

// The file name a domain's policy is kept under: the domain itself, or "_" + domain for a
// domain starting "tmp." (a name spool writes keep for their temporary files). "" for a domain
// that is not a host name.
std::string mta_sts_cache_file_name(std::string_view domain);

}  // namespace hikyaku::relay
