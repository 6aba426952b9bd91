// RFC 9990 "Report Delivery": each report's rua= URIs evaluated in order, the external ones
// verified ("Verifying External Destinations") through the relay's resolver.
#include "app/dmarc_report_day.hpp"

#include <fmt/format.h>

namespace hikyaku::app {

asio::awaitable<PreparedDmarcDay> prepare_dmarc_day(dns::Resolver& resolver, dmarc_reports::Reporter reporter,
                                                    std::string day, std::vector<std::string> lines) {
  dmarc_reports::DayReports built = dmarc_reports::build_day_reports(day, lines, reporter);
  PreparedDmarcDay out;
  out.records = built.records;
  out.bad_lines = built.bad_lines;
  out.first_error = built.first_error;
  for (auto& r : built.reports) {
    PreparedDmarcReport p;
    p.destinations = co_await dmarc_reports::report_destinations(resolver, r.report.policy_domain, r.report.rua);
    p.report = std::move(r);
    out.reports.push_back(std::move(p));
  }
  co_return out;
}

std::string dmarc_report_text(const dmarc_reports::DayReport& report, const std::string& day) {
  return fmt::format(
      "This is a DMARC aggregate report (RFC 9990) from {} for the DMARC Policy Domain {},\r\n"
      "covering {} (UTC): {} message{} in {} record{}.\r\n"
      "The report is the attached {} (gzip-compressed XML).\r\n",
      report.report.metadata.org_name, report.report.policy_domain, day, report.report.messages,
      report.report.messages == 1 ? "" : "s", report.report.rows.size(), report.report.rows.size() == 1 ? "" : "s",
      report.filename);
}

}  // namespace hikyaku::app
