// RFC 9990 "Aggregate Reports" (a separate report per DMARC Policy Domain; a UTC day from
// 00:00), "Definition of Report-ID" and "Email" (filename, Subject) for one stored day.
#include "dmarc_reports/day_reports.hpp"

#include "dmarc_reports/report_naming.hpp"
#include "dmarc_reports/report_xml.hpp"

namespace hikyaku::dmarc_reports {

DayReports build_day_reports(std::string_view day, const std::vector<std::string>& lines, const Reporter& reporter) {
  DayReports out;
  const auto range = day_range(day);
  if (!range) return out;
  std::vector<EvaluationRecord> records;
  records.reserve(lines.size());
  for (const auto& line : lines) {
    auto r = parse_record(line);
    if (!r) {
      if (out.bad_lines++ == 0) out.first_error = r.error();
      continue;
    }
    records.push_back(std::move(*r));
  }
  out.records = records.size();
  for (auto& [domain, list] : by_policy_domain(std::move(records))) {
    DayReport d;
    const std::string id = report_id(reporter.domain, domain, day);
    d.report = aggregate(domain, list,
                         ReportMetadata{reporter.org_name, reporter.email, id, range->first, range->second,
                                        reporter.generator});
    d.xml = report_xml(d.report);
    d.filename = report_filename(reporter.domain, domain, range->first, range->second, id);
    d.subject = report_subject(domain, reporter.domain, id);
    out.reports.push_back(std::move(d));
  }
  return out;
}

}  // namespace hikyaku::dmarc_reports
