// `hikyaku tls-report -c FILE [--day YYYY-MM-DD] [--send]`: the RFC 8460 §4.4 reports of a day
// (today's, the one still being recorded, by default) aggregated from the store under
// <queue.directory>/reports/tls, printed as a JSON array (one report per policy domain) without
// sending; --send asks the running server to send every stored day now (control socket REPORTS).
#pragma once
#include <string>

namespace hikyaku::app {

struct TlsReportCommandOptions {
  std::string config_path;
  std::string day;    // "" = today (UTC)
  bool send = false;
};

// 0 printed (or sent), 1 the server could not send, 2 usage, configuration or store error.
int tls_report_command(const TlsReportCommandOptions& options);

}  // namespace hikyaku::app
