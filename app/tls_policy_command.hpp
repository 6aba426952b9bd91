// `hikyaku tls-policy DOMAIN [-c FILE]`: the outbound TLS the relay would enforce for a
// destination domain and why, from live DNS and MTA-STS (RFC 7672 DANE, RFC 8461 MTA-STS, the
// [relay] tls_policy override), without sending mail.
#pragma once
#include <string>

namespace hikyaku::app {

struct TlsPolicyCommandOptions {
  std::string config_path;
  std::string domain;
};

// Prints the plan, one "field: value" line each and one line per MX host; 0 when mail would be
// delivered, 1 when the policy defers it, 2 for a usage, configuration or DNS setup error.
int tls_policy_command(const TlsPolicyCommandOptions& options);

}  // namespace hikyaku::app
