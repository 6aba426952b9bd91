// One UTC day's DMARC aggregate reports from the day's stored lines (RFC 9990 "Aggregate
// Reports": one report per DMARC Policy Domain for the reporting period, here the UTC day):
// the lines parsed (a bad one skipped and counted), grouped, and each report's XML, Report-ID,
// filename and Subject made. Pure: sending is the caller's.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dmarc_reports/aggregate.hpp"

namespace hikyaku::dmarc_reports {

// Who reports (RFC 9990 report_metadata, filename "receiver", Subject "Submitter").
struct Reporter {
  std::string domain;     // the forwarding domain: filename receiver and Subject submitter
  std::string org_name;   // report_metadata org_name
  std::string email;      // report_metadata email: the contact address
  std::string generator;  // "Hikyaku 0.1.0"
};

struct DayReport {
  AggregateReport report;  // policy_domain, policy, rua, rows
  std::string xml;
  std::string filename;    // receiver!policy-domain!begin!end!unique-id.xml.gz
  std::string subject;
};

struct DayReports {
  std::vector<DayReport> reports;  // by policy domain
  std::size_t records = 0;         // lines read into reports
  std::size_t bad_lines = 0;       // lines that did not parse (skipped)
  std::string first_error;         // the first bad line's error, for the log
};

// `day` is "YYYY-MM-DD"; an invalid day gives no reports.
DayReports build_day_reports(std::string_view day, const std::vector<std::string>& lines, const Reporter& reporter);

}  // namespace hikyaku::dmarc_reports
