// `doctor --probe`: the only part of the doctor that connects to anything. Each MX host address,
// in preference order (RFC 5321 §5.1), is asked on the SMTP port for its greeting (§4.2, 220),
// EHLO (§4.1.1.1), whether it offers STARTTLS (RFC 3207) and, after the handshake, whether its
// certificate names the host (RFC 6125 §6 via X509_check_host; RFC 7672/8461 senders require it).
// The findings are a pure function of the probe results.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "doctor/doctor.hpp"

namespace hikyaku::doctor {

struct ProbeTarget {
  unsigned preference = 0;
  std::string host;
  std::string address;  // IP literal
};

struct ProbeResult {
  ProbeTarget target;
  bool connected = false;
  std::string error;          // what went wrong first (connect, read, handshake, timeout)
  int greeting_code = 0;
  std::string greeting;       // first line of the greeting
  int ehlo_code = 0;
  bool starttls_offered = false;
  bool tls_ok = false;
  std::string tls_error;
  bool name_matches = false;  // the certificate names the MX host
  bool chain_trusted = false; // verified against the system's trust store
  std::string certificate;    // subject of the peer certificate
  double seconds = 0;
};

// MX hosts and their addresses from the answers, preference order (null MX skipped).
std::vector<ProbeTarget> probe_targets(const DoctorOptions& options, const Answers& answers);

// Connects to target.address:port and runs greeting, EHLO `helo`, STARTTLS; QUIT. Everything
// within `timeout`. Never throws for network reasons.
boost::asio::awaitable<ProbeResult> probe_smtp(ProbeTarget target, unsigned short port, std::string helo,
                                               std::chrono::milliseconds timeout);

// probe.* findings: per address, and which host would take the mail.
void probe_findings(const std::string& domain, const std::vector<ProbeResult>& results, std::vector<Finding>& out);

}  // namespace hikyaku::doctor
