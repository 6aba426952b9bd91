// The names of one aggregate report (RFC 9990 "Report Delivery"): the reporting period of a UTC
// day (date_range begin and end), the Report-ID that is also the filename's unique-id ("Unique
// Identifiers in Aggregate Reporting": they MUST be identical), the attachment's filename and
// the Subject field. The same report always gets the same names, so a re-sent report
// overwrites its first copy at the Report Consumer ("Email": the same filename on re-sending).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace hikyaku::dmarc_reports {

// "YYYY-MM-DD" (a UTC day) as [00:00:00, 23:59:59] in seconds since the epoch.
std::optional<std::pair<std::int64_t, std::int64_t>> day_range(std::string_view day);

// 1*(ALPHA / DIGIT), valid as both ridtxt and unique-id: the day's digits and 24 hex digits of
// SHA-256 over (receiver, policy domain, day).
std::string report_id(std::string_view receiver, std::string_view policy_domain, std::string_view day);

// receiver "!" policy-domain "!" begin "!" end "!" unique-id ".xml.gz"
std::string report_filename(std::string_view receiver, std::string_view policy_domain, std::int64_t begin,
                            std::int64_t end, std::string_view id);

// dmarc-subject: "Report Domain: <policy domain> Submitter: <receiver> Report-ID: <id>".
std::string report_subject(std::string_view policy_domain, std::string_view submitter, std::string_view id);

}  // namespace hikyaku::dmarc_reports
