// Names of severities and RCODEs (RFC 1035 §4.1.1, RFC 6895 §2.3) for the doctor's output.
#include "doctor/finding.hpp"

#include <utility>

namespace hikyaku::doctor {

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::ok: return "ok";
    case Severity::info: return "info";
    case Severity::warn: return "warn";
    case Severity::error: return "error";
    case Severity::unknown: return "unknown";
  }
  return "?";
}

int rcode_of(dns::DnsStatus status) {
  switch (status) {
    case dns::DnsStatus::ok:
    case dns::DnsStatus::nodata: return 0;
    case dns::DnsStatus::nxdomain: return 3;
    case dns::DnsStatus::servfail: return 2;
    case dns::DnsStatus::timeout: return -1;
  }
  return -1;
}

std::string_view rcode_name(int rcode) {
  switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case -1: return "no reply";
  }
  return "RCODE?";
}

void add_finding(std::vector<Finding>& out, Severity severity, std::string check, std::string subject,
                 std::string problem, std::string fix) {
  Finding f;
  f.severity = severity;
  f.check = std::move(check);
  f.subject = std::move(subject);
  f.problem = std::move(problem);
  f.fix = std::move(fix);
  out.push_back(std::move(f));
}

}  // namespace hikyaku::doctor
