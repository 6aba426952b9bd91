// `hikyaku doctor DOMAIN [-c FILE] [--dns HOST:PORT] [--selector S]... [--probe] [--json]` (DESIGN §4):
// the domain's mail DNS diagnosed in one run; exit 0 no error, 1 an error finding, 2 usage,
// 3 the required lookups (MX, SPF, DMARC) could not be answered.
#pragma once
#include <string>
#include <vector>

namespace hikyaku::app {

struct DoctorCommandOptions {
  std::string domain;
  std::string config_path;                 // -c: the domain is meant to be served by us
  std::string dns_server;                  // --dns; else [dns] servers of -c, else resolv.conf
  std::vector<std::string> selectors;      // --selector
  std::vector<std::string> authoritative;  // --authoritative IP:PORT: servers for propagation
  std::string timeout = "5s";              // --timeout: one DNS question
  bool json = false;
  bool show_ok = false;                    // --all: print ok findings too
  bool propagation = true;                 // --no-propagation
  bool probe = false;                      // --probe: connect to each MX host
  unsigned probe_port = 25;                // --probe-port (tests point it at their sinks)
  unsigned https_port = 443;               // --https-port: the MTA-STS policy host's port
};

int doctor_command(const DoctorCommandOptions& options);

}  // namespace hikyaku::app
