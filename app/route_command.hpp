// `hikyaku route ADDRESS [-c FILE] [--from SENDER]` (the `postmap -q` / `sendmail -bv` of
// Hikyaku): what the relay does with one recipient, without sending anything. RFC 5321 §3.9
// (forwarding), RFC 5233 (subaddresses), RFC 5890 (IDN), RFC 7489 §6.7 (local DMARC policy).
#pragma once
#include <string>

namespace hikyaku::app {

struct RouteCommandOptions {
  std::string config_path;
  std::string recipient;  // "a@b", "<a@b>" (pasted from a log line) or a UTF-8 address
  std::string sender;     // the MAIL FROM whose SRS form is shown; "" or "<>" for the null sender
};

// Prints the decision, one "field: value" line each; 0 when the recipient is accepted (forward
// or drop), 1 when RCPT would be refused, 2 for a usage or configuration error.
int route_command(const RouteCommandOptions& options);

}  // namespace hikyaku::app
