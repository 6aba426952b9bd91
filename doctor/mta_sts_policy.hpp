// MTA-STS policies (RFC 8461) as `doctor` sees them: with --probe, fetching
// https://mta-sts.<domain>/.well-known/mta-sts.txt (§3.3) with the certificate checked for that
// host name, and findings on what a sender would make of it. The policy is read and matched by
// the relay's own parser (relay/mta_sts_policy.hpp), so doctor judges it as the relay would.
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
