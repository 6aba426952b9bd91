// RFC 8460 TLS reports: one record per TLS session (or per failure before any session) as a
// store line, and the day's records aggregated into one §4.4 JSON report per policy domain
// (policies by type, strings and MX hosts; successful and failed session counts; failure
// details by result type, sending and receiving addresses), with the §5.1 file name.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hikyaku::reports {

struct TlsRecord {
  std::string policy_domain;              // the recipient domain, lowercase A-labels
  std::string policy_type;                // "tlsa", "sts" or "no-policy-found"
  std::vector<std::string> policy_strings;
  std::vector<std::string> mx_hosts;      // TLSA: the hosts; STS: the policy's mx patterns
  std::string result_type;                // "" for a successful session, else RFC 8460 §4.3
  std::string sending_ip;                 // failure details; "" when unknown
  std::string receiving_mx;
  std::string receiving_ip;
  std::string reason;                     // failure-reason-code: free text, one line
  bool operator==(const TlsRecord&) const = default;
};

// The RFC 8460 §4.3 result types (§4.3.1 negotiation, §4.3.2 policy, §4.3.2.1 DANE,
// §4.3.2.2 MTA-STS).
bool is_tls_result_type(std::string_view type);
bool is_tls_policy_type(std::string_view type);

// Upper bounds of one record's fields (a line in the store).
inline constexpr std::size_t kMaxTlsField = 1024;
inline constexpr std::size_t kMaxTlsListItems = 64;

// One line, no newline inside (JSON with short keys); CR, LF and NUL in a field become spaces.
std::string encode_tls_record(const TlsRecord& record);
// The inverse; nullopt for anything encode_tls_record() could not have written (bad JSON,
// unknown policy or result type, a field too long, a list too long).
std::optional<TlsRecord> decode_tls_record(std::string_view line);

struct TlsReportMeta {
  std::string organization_name;
  std::string contact_info;
  std::string submitter;   // our domain: TLS-Report-Submitter and the file name's sender
  std::string day;         // "YYYY-MM-DD": the report covers 00:00:00Z to the next 00:00:00Z
};

struct TlsReport {
  std::string policy_domain;
  std::string report_id;
  nlohmann::json json;     // RFC 8460 §4.4
  std::uint64_t successful = 0;
  std::uint64_t failed = 0;
};

// The day's reports, one per policy domain (in domain order), from its store lines; lines that
// do not decode are skipped and counted in `skipped` when given.
std::vector<TlsReport> build_tls_reports(const std::vector<std::string>& lines, const TlsReportMeta& meta,
                                         std::size_t* skipped = nullptr);

// RFC 8460 §5.1: "<submitter>!<policy-domain>!<begin>!<end>!<unique-id>.json.gz", the times as
// Unix seconds.
std::string tls_report_filename(const TlsReportMeta& meta, const std::string& policy_domain,
                                const std::string& unique_id);
// RFC 3339 date-time of a day's start ("2026-12-07T00:00:00Z") and of the next day's start.
std::string day_start_rfc3339(std::string_view day);
std::string day_end_rfc3339(std::string_view day);

}  // namespace hikyaku::reports
