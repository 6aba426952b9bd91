// `hikyaku arc verify|seal [--zone FILE... | --dns HOST:PORT] < MESSAGE` (DESIGN §4): the ARC
// chain validation result (RFC 8617 §5.2) of a message, or the message with our ARC set added
// (§5.1), the signers' keys from zone files (offline) or a DNS server.
#pragma once
#include <string>
#include <vector>

namespace hikyaku::app {

struct ArcCommandOptions {
  std::vector<std::string> zone_files;  // keys from these RFC 1035 zone files, or
  std::string dns_server;               // from this server ("127.0.0.1:53")
  std::string config_path;              // seal: [arc] and [auth] authserv_id from here
};

// Prints "cv=pass instances=N oldest-pass=K" (or cv=none / cv=fail with the reason); returns 0
// for pass or none, 1 for fail, 2 for a usage or zone-file error.
int arc_verify_command(const ArcCommandOptions& options);
// Prints the message with the new ARC set prepended; 0, 1 when it cannot be sealed (a chain
// already marked cv=fail, a bad key), 2 for a configuration without [arc] enabled.
int arc_seal_command(const ArcCommandOptions& options);

}  // namespace hikyaku::app
