// One stored day of DMARC evaluations made ready to send (RFC 9990): its reports, one per DMARC
// Policy Domain, each with the destinations its rua= allows ("Verifying External
// Destinations"); shared by the daily sending and `hikyaku dmarc-report`.
#pragma once
#include <string>
#include <vector>

#include "core/asio.hpp"

#include "dmarc_reports/day_reports.hpp"
#include "dmarc_reports/destinations.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::app {

struct PreparedDmarcReport {
  dmarc_reports::DayReport report;
  dmarc_reports::Destinations destinations;
};

struct PreparedDmarcDay {
  std::vector<PreparedDmarcReport> reports;
  std::size_t records = 0;
  std::size_t bad_lines = 0;
  std::string first_error;
};

asio::awaitable<PreparedDmarcDay> prepare_dmarc_day(dns::Resolver& resolver, dmarc_reports::Reporter reporter,
                                                    std::string day, std::vector<std::string> lines);

// The text/plain part beside the report: what it is, for whom, which day, how much.
std::string dmarc_report_text(const dmarc_reports::DayReport& report, const std::string& day);

}  // namespace hikyaku::app
