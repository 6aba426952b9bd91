// RFC 9990 "Report Delivery" and "Email": each report as an application/gzip attachment named
// receiver!policy-domain!begin!end!unique-id.xml.gz, Subject "Report Domain: ... Submitter: ...
// Report-ID: ...", from the reports sender at the forwarding domain, DKIM-signed (the mail
// stream then passes DMARC for the forwarding domain, as "Email" asks), to every destination
// left after "Verifying External Destinations"; what was skipped is logged.
#include "app/dmarc_reports_wiring.hpp"

#include <spdlog/spdlog.h>

#include "app/dmarc_report_day.hpp"
#include "app/version.hpp"
#include "reports/report_message.hpp"

namespace hikyaku::app {

reports::DailyStoreOptions dmarc_store_options(const config::Config& config) {
  return {config.queue.directory + "/reports/dmarc", config.reports.max_bytes_per_day, config.reports.fsync_batch};
}

core::Expected<std::unique_ptr<reports::DailyStore>, std::string> open_dmarc_store(const config::Config& config) {
  auto store = reports::DailyStore::open(dmarc_store_options(config));
  if (!store) return core::unexpected(store.error());
  return std::make_unique<reports::DailyStore>(std::move(*store));
}

core::Expected<std::vector<std::string>, std::string> read_dmarc_day(const reports::DailyStore& store,
                                                                     const std::string& day) {
  return store.read_day(day);
}

dmarc_reports::Reporter dmarc_reporter(const config::Config& config) {
  const std::string& sender = config.reports.sender_address;
  const auto at = sender.rfind('@');
  dmarc_reports::Reporter r;
  r.domain = at == std::string::npos ? config.server.hostname : sender.substr(at + 1);
  r.org_name = config.reports.organization_name.empty() ? r.domain : config.reports.organization_name;
  r.email = config.reports.contact_info.empty() ? sender : config.reports.contact_info;
  r.generator = std::string("Hikyaku ") + kVersion;
  return r;
}

asio::awaitable<bool> send_dmarc_day(reports::DailyStore& store, std::shared_ptr<dns::Resolver> resolver,
                                     std::shared_ptr<const config::Config> config, ReportQueueContext queue,
                                     std::string day, std::int64_t now) {
  if (!resolver || !config) co_return false;  // stopping: no configuration in force
  if (!config->reports.dmarc_reports) {
    spdlog::info("dmarc reports: off ([reports] dmarc_reports); the records of {} are dropped unsent", day);
    co_return true;
  }
  auto lines = store.read_day(day);
  if (!lines) {
    spdlog::error("dmarc reports: cannot read the records of {}: {}", day, lines.error());
    co_return false;
  }
  const dmarc_reports::Reporter reporter = dmarc_reporter(*config);
  PreparedDmarcDay prepared = co_await prepare_dmarc_day(*resolver, reporter, day, std::move(*lines));
  if (prepared.bad_lines) {
    spdlog::warn("dmarc reports: {}: {} unreadable record line(s) skipped (first: {})", day, prepared.bad_lines,
                 prepared.first_error);
  }
  bool all_queued = true;
  for (const auto& p : prepared.reports) {
    const auto& r = p.report;
    const std::string& id = r.report.metadata.report_id;
    for (const auto& why : p.destinations.skipped) {
      spdlog::info("dmarc report {} for {}: not sent to {}", id, r.report.policy_domain, why);
    }
    if (p.destinations.send_to.empty()) continue;
    reports::ReportMail mail;
    mail.from = config->reports.sender_address;
    mail.subject = r.subject;
    // RFC 9990 "Email" prescribes no MIME structure; the shared layout is RFC 6522's, whose
    // report-type names what the attachment is.
    mail.report_type = "dmarc-aggregate";
    mail.human_text = dmarc_report_text(r, day);
    mail.attachment_content_type = "application/gzip";  // RFC 6713
    mail.attachment_filename = r.filename;
    mail.attachment_bytes = reports::gzip(r.xml);
    mail.message_id_domain = reporter.domain;
    mail.date = now;
    for (const auto& dest : p.destinations.send_to) {
      const std::string error = co_await queue_report(queue, mail, dest.address, now);
      if (!error.empty()) {
        all_queued = false;
        spdlog::error("dmarc report {} for {} to {}: not queued: {}", id, r.report.policy_domain, dest.address,
                      error);
        continue;
      }
      spdlog::info("dmarc report {} for {} ({} messages, {} records) queued to {}", id, r.report.policy_domain,
                   r.report.messages, r.report.rows.size(), dest.address);
    }
  }
  co_return all_queued;
}

}  // namespace hikyaku::app
