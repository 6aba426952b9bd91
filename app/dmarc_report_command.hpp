// `hikyaku dmarc-report -c FILE [--day YYYY-MM-DD]`: the DMARC aggregate reports (RFC 9990) a
// stored day would produce (today's, still being collected, by default), each with the
// destinations its rua= allows and those skipped, and the XML, without sending anything.
#pragma once
#include <string>

namespace hikyaku::app {

struct DmarcReportCommandOptions {
  std::string config_path;
  std::string day;  // "" for today (UTC)
};

// 0 when the day was read (even with no records), 2 for a usage, configuration, store or DNS
// setup error.
int dmarc_report_command(const DmarcReportCommandOptions& options);

}  // namespace hikyaku::app
