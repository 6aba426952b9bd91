// MTA-STS policies (RFC 8461): the policy file's syntax (§3.2), the "mx" patterns matched
// against MX host names (§4.1: a wildcard stands for exactly the leftmost label), and, with
// --probe, fetching https://mta-sts.<domain>/.well-known/mta-sts.txt (§3.3) with the
// certificate checked for that host name.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/expected.hpp"
#include "doctor/finding.hpp"

namespace hikyaku::doctor {

struct MtaStsPolicy {
  std::string mode;              // "enforce", "testing", "none"
  std::vector<std::string> mx;   // patterns, lowercase
  uint64_t max_age = 0;          // seconds
};

// §3.2: "key: value" lines (CRLF or LF), version STSv1 first, mode, max_age (0-31557600), one or
// more mx unless mode is none. Errors say what is wrong.
core::Expected<MtaStsPolicy, std::string> parse_mta_sts_policy(std::string_view body);

// §4.1: "mail.example.com" matches itself; "*.example.com" matches exactly one more label on
// the left ("a.example.com", not "a.b.example.com" nor "example.com"). Case-insensitive.
bool mx_pattern_matches(std::string_view pattern, std::string_view host);

struct PolicyFetch {
  bool connected = false;
  std::string error;          // connect/TLS/HTTP failure
  bool name_matches = false;  // the certificate names mta-sts.<domain>
  bool chain_trusted = false;
  int status = 0;             // HTTP status
  std::string content_type;
  std::string body;
};

// GET /.well-known/mta-sts.txt from `address`:`port` over TLS (SNI `host`), at most 64 KiB of
// body (§3.3), within `timeout`.
boost::asio::awaitable<PolicyFetch> fetch_mta_sts_policy(std::string host, std::string address, unsigned short port,
                                                         std::chrono::milliseconds timeout);

// mta_sts.policy / mta_sts.mx findings for `domain` from the fetch and the MX host names.
void mta_sts_findings(const std::string& domain, const PolicyFetch& fetch, const std::vector<std::string>& mx_hosts,
                      std::vector<Finding>& out);

}  // namespace hikyaku::doctor
