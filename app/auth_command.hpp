// `hikyaku auth [--dns HOST:PORT | --zone FILE...] --ip IP --helo NAME --mail-from ADDR < MSG`
// (DESIGN §4): the Authentication-Results field (RFC 8601) and the DMARC disposition and policy
// domain (RFC 9989) the relay would compute for a message, so a postmaster can see why one was
// refused.
#pragma once
#include <string>
#include <vector>

namespace hikyaku::app {

struct AuthCommandOptions {
  std::vector<std::string> zone_files;  // DNS from these zone files, or
  std::string dns_server;               // from this server ("127.0.0.1:53")
  std::string client_ip;
  std::string helo;
  std::string mail_from;                // "" or "<>" for the null sender
  std::string config_path;              // optional: [auth] settings and server.hostname
};

// Prints the header and the decision; 0 when the relay would accept the message, 1 when it
// would refuse or defer it, 2 for a usage, zone-file or configuration error.
int auth_command(const AuthCommandOptions& options);

}  // namespace hikyaku::app
