// TLS report records and their aggregation (RFC 8460 §4.4): records are grouped by policy
// (type, strings, domain, MX hosts); each group's summary counts its sessions, and its failures
// are grouped by result type, sending-mta-ip, receiving-mx-hostname and receiving-ip.
#include "reports/tls_report.hpp"

#include <array>
#include <tuple>

#include "reports/daily_store.hpp"

namespace hikyaku::reports {

namespace {

constexpr std::array<std::string_view, 11> kResultTypes = {
    "starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", "validation-failure",        "tlsa-invalid",
    "dnssec-invalid",          "dane-required",             "sts-policy-fetch-error",
    "sts-policy-invalid",      "sts-webpki-invalid"};

bool short_enough(const std::string& s) {
  if (s.size() > kMaxTlsField) return false;
  for (const char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool get_string(const nlohmann::json& j, const char* key, std::string& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;  // absent: empty
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return short_enough(out);
}

bool get_list(const nlohmann::json& j, const char* key, std::vector<std::string>& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_array() || it->size() > kMaxTlsListItems) return false;
  for (const auto& v : *it) {
    if (!v.is_string()) return false;
    out.push_back(v.get<std::string>());
    if (!short_enough(out.back())) return false;
  }
  return true;
}

// CR, LF and NUL (which decode_tls_record refuses) become spaces.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return s;
}

std::vector<std::string> one_line(std::vector<std::string> v) {
  for (auto& s : v) s = one_line(std::move(s));
  return v;
}

}  // namespace

bool is_tls_result_type(std::string_view type) {
  for (const auto t : kResultTypes) {
    if (t == type) return true;
  }
  return false;
}

bool is_tls_policy_type(std::string_view type) {
  return type == "tlsa" || type == "sts" || type == "no-policy-found";
}

std::string encode_tls_record(const TlsRecord& r) {
  nlohmann::json j;
  j["d"] = one_line(r.policy_domain);
  j["t"] = r.policy_type;
  if (!r.policy_strings.empty()) j["s"] = one_line(r.policy_strings);
  if (!r.mx_hosts.empty()) j["m"] = one_line(r.mx_hosts);
  if (!r.result_type.empty()) j["r"] = r.result_type;
  if (!r.sending_ip.empty()) j["si"] = one_line(r.sending_ip);
  if (!r.receiving_mx.empty()) j["rm"] = one_line(r.receiving_mx);
  if (!r.receiving_ip.empty()) j["ri"] = one_line(r.receiving_ip);
  if (!r.reason.empty()) j["x"] = one_line(r.reason);
  // dump() escapes control characters, so the line never holds a raw newline; invalid UTF-8 is
  // replaced rather than thrown.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<TlsRecord> decode_tls_record(std::string_view line) {
  const nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  TlsRecord r;
  if (!get_string(j, "d", r.policy_domain) || r.policy_domain.empty()) return std::nullopt;
  if (!get_string(j, "t", r.policy_type) || !is_tls_policy_type(r.policy_type)) return std::nullopt;
  if (!get_list(j, "s", r.policy_strings) || !get_list(j, "m", r.mx_hosts)) return std::nullopt;
  if (!get_string(j, "r", r.result_type)) return std::nullopt;
  if (!r.result_type.empty() && !is_tls_result_type(r.result_type)) return std::nullopt;
  if (!get_string(j, "si", r.sending_ip) || !get_string(j, "rm", r.receiving_mx) ||
      !get_string(j, "ri", r.receiving_ip) || !get_string(j, "x", r.reason)) {
    return std::nullopt;
  }
  return r;
}

std::string day_start_rfc3339(std::string_view day) { return std::string(day) + "T00:00:00Z"; }

std::string day_end_rfc3339(std::string_view day) {
  return utc_day(day_start(day) + 86400) + "T00:00:00Z";
}

std::string tls_report_filename(const TlsReportMeta& meta, const std::string& policy_domain,
                                const std::string& unique_id) {
  const std::int64_t begin = day_start(meta.day);
  return meta.submitter + "!" + policy_domain + "!" + std::to_string(begin) + "!" +
         std::to_string(begin + 86400) + "!" + unique_id + ".json.gz";
}

std::vector<TlsReport> build_tls_reports(const std::vector<std::string>& lines, const TlsReportMeta& meta,
                                         std::size_t* skipped) {
  using PolicyKey = std::tuple<std::string, std::vector<std::string>, std::vector<std::string>>;
  using FailureKey = std::tuple<std::string, std::string, std::string, std::string>;
  struct Failure {
    std::uint64_t count = 0;
    std::string reason;
  };
  struct Policy {
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    std::map<FailureKey, Failure> failures;
  };
  std::map<std::string, std::map<PolicyKey, Policy>> by_domain;
  std::size_t bad = 0;
  for (const auto& line : lines) {
    auto r = decode_tls_record(line);
    if (!r) {
      ++bad;
      continue;
    }
    Policy& p = by_domain[r->policy_domain][PolicyKey{r->policy_type, r->policy_strings, r->mx_hosts}];
    if (r->result_type.empty()) {
      ++p.ok;
      continue;
    }
    ++p.failed;
    Failure& f = p.failures[FailureKey{r->result_type, r->sending_ip, r->receiving_mx, r->receiving_ip}];
    if (f.count++ == 0) f.reason = r->reason;
  }
  if (skipped) *skipped = bad;

  std::vector<TlsReport> out;
  for (const auto& [domain, policies] : by_domain) {
    TlsReport report;
    report.policy_domain = domain;
    // RFC 8460 §4.4 report-id: unique per report; the day, the policy domain and our name.
    report.report_id = meta.day + "T00:00:00Z_" + domain + "@" + meta.submitter;
    nlohmann::json j;
    j["organization-name"] = meta.organization_name;
    j["date-range"] = {{"start-datetime", day_start_rfc3339(meta.day)},
                       {"end-datetime", day_end_rfc3339(meta.day)}};
    j["contact-info"] = meta.contact_info;
    j["report-id"] = report.report_id;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [key, p] : policies) {
      const auto& [type, strings, mx] = key;
      nlohmann::json policy;
      policy["policy-type"] = type;
      if (!strings.empty()) policy["policy-string"] = strings;
      policy["policy-domain"] = domain;
      if (!mx.empty()) policy["mx-host"] = mx;
      nlohmann::json entry;
      entry["policy"] = policy;
      entry["summary"] = {{"total-successful-session-count", p.ok},
                          {"total-failure-session-count", p.failed}};
      nlohmann::json details = nlohmann::json::array();
      for (const auto& [fkey, f] : p.failures) {
        const auto& [result, sending, mx_host, ip] = fkey;
        nlohmann::json d;
        d["result-type"] = result;
        if (!sending.empty()) d["sending-mta-ip"] = sending;
        if (!mx_host.empty()) d["receiving-mx-hostname"] = mx_host;
        if (!ip.empty()) d["receiving-ip"] = ip;
        d["failed-session-count"] = f.count;
        if (!f.reason.empty()) d["failure-reason-code"] = f.reason;
        details.push_back(std::move(d));
      }
      if (!details.empty()) entry["failure-details"] = std::move(details);
      report.successful += p.ok;
      report.failed += p.failed;
      list.push_back(std::move(entry));
    }
    j["policies"] = std::move(list);
    report.json = std::move(j);
    out.push_back(std::move(report));
  }
  return out;
}

}  // namespace hikyaku::reports
