// Sending one day of TLS reports (RFC 8460 §5): the day's records aggregated per policy domain
// (reports/tls_report), each report gzip'd (§5.3) and sent to every rua the domain publishes
// now: "mailto:" as a DKIM-signed multipart/report mail through the queue (§5.3: report-type
// "tlsrpt", TLS-Report-Domain, TLS-Report-Submitter, the §5.1 file name), "https:" as a POST
// (§5.2). What was handed over is noted beside the day's file, so a day kept for a failed POST
// is not mailed twice.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "app/report_queue.hpp"
#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "reports/daily_store.hpp"
#include "reports/tls_report.hpp"

namespace hikyaku::app {

// What a day's sending needs, taken afresh for each day (the configuration may be reloaded).
struct TlsReportSendContext {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<dns::Resolver> resolver;
  std::shared_ptr<asio::ssl::context> tls;  // the relay's client context (https: rua)
  ReportQueueContext queue;
  std::chrono::milliseconds https_timeout = std::chrono::seconds(30);
};

// RFC 8460 §4.4 metadata from [reports] (defaults: server.hostname, the sender) for `day`.
reports::TlsReportMeta tls_report_meta(const config::Config& config, const std::string& day);

// The report mail for one report to one mailbox (not yet signed).
reports::ReportMail tls_report_mail(const reports::TlsReportMeta& meta, const reports::TlsReport& report,
                                    const std::string& from, const std::string& gzipped,
                                    std::int64_t now);

// True when every report of the day reached every rua (or its domain no longer asks for any).
asio::awaitable<bool> send_tls_reports(TlsReportSendContext ctx, reports::DailyStore& store,
                                       std::string day);

}  // namespace hikyaku::app
