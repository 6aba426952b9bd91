// What `hikyaku doctor` reports (DESIGN §4): one finding per problem (or per passed check),
// with a severity, a stable check id documented in docs/doctor-checks.md, the name it is
// about, what is wrong, the fix, and the DNS queries it was judged from.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/types.hpp"

namespace hikyaku::doctor {

enum class Severity { ok, info, warn, error, unknown };
std::string_view to_string(Severity s);  // "ok", "info", "warn", "error", "unknown"

// One question: to the recursive resolver (server empty) or directly to one authoritative
// server ("192.0.2.1:53", recursion off).
struct QueryKey {
  std::string name;  // canonical (dns::normalise_name), or as given when invalid
  dns::RecordType type = dns::RecordType::a;
  std::string server;
  auto operator<=>(const QueryKey&) const = default;
};

// One answer as observed, with what a reproduction needs: the server asked, the RCODE (-1 for
// no reply) and, for SOA, the serial.
struct Observation {
  dns::DnsAnswer answer;
  std::string server;  // "recursive (HOST:PORT)" or the authoritative "IP:PORT"
  int rcode = -1;
  std::optional<uint32_t> soa_serial;
  bool authoritative = false;  // the AA bit (direct queries)
};

// RCODE implied by a resolver's status: NOERROR 0, SERVFAIL 2, NXDOMAIN 3, -1 for a timeout.
int rcode_of(dns::DnsStatus status);
std::string_view rcode_name(int rcode);  // "NOERROR", "SERVFAIL", "NXDOMAIN", "REFUSED", "no reply"

struct Finding {
  Severity severity = Severity::info;
  std::string check;    // stable id: "mx.cname", "spf.lookups", ...
  std::string subject;  // the name it is about
  std::string problem;  // what is wrong (or what was found, for ok/info)
  std::string fix;      // what to do; a record to publish is given in zone-file form
  std::vector<QueryKey> queries;  // the answers it was judged from
};

// Appends a finding without queries (checks that judge something other than DNS answers:
// an MTA-STS policy body, a probe of an MX host).
void add_finding(std::vector<Finding>& out, Severity severity, std::string check, std::string subject,
                 std::string problem, std::string fix);

}  // namespace hikyaku::doctor
