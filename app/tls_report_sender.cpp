// send_tls_reports: for each policy domain of the day, the _smtp._tls rua looked up now (§3),
// the report mailed or posted to each, each success appended to <day>.sent beside the store's
// file; the day is done when nothing is left. tls_report_command prints without sending, or asks
// the running server to send now (control socket REPORTS).
#include "app/tls_report_sender.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/report_https.hpp"
#include "app/tls_report_recorder.hpp"
#include "config/loader.hpp"
#include "queue/control_protocol.hpp"
#include "reports/report_message.hpp"

namespace hikyaku::app {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string sent_path(const reports::DailyStore& store, const std::string& day) {
  return store.options().dir + "/" + day + ".sent";
}

std::set<std::string> read_sent(const std::string& path) {
  std::set<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

void note_sent(const std::string& path, const std::string& key) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return;
  const std::string line = key + "\n";
  if (::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) ::fsync(fd);
  ::close(fd);
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(at + 1);
}

}  // namespace

reports::TlsReportMeta tls_report_meta(const config::Config& config, const std::string& day) {
  reports::TlsReportMeta meta;
  const std::string& sender = config.reports.sender_address;
  meta.organization_name =
      config.reports.organization_name.empty() ? config.server.hostname : config.reports.organization_name;
  meta.contact_info = config.reports.contact_info.empty() ? sender : config.reports.contact_info;
  meta.submitter = domain_of(sender);
  meta.day = day;
  return meta;
}

reports::ReportMail tls_report_mail(const reports::TlsReportMeta& meta, const reports::TlsReport& report,
                                    const std::string& from, const std::string& gzipped,
                                    std::int64_t now) {
  reports::ReportMail m;
  m.from = from;
  // RFC 8460 §5.3: the subject names the policy domain, the submitter and the report id.
  m.subject = "Report Domain: " + report.policy_domain + " Submitter: " + meta.submitter +
              " Report-ID: <" + report.report_id + ">";
  m.extra_headers = {{"TLS-Report-Domain", report.policy_domain}, {"TLS-Report-Submitter", meta.submitter}};
  m.report_type = "tlsrpt";
  m.human_text = fmt::format(
      "This is an aggregate TLS report (RFC 8460) from {} for {}, {} to {}:\n"
      "{} successful and {} failed session(s). The report is attached as JSON, gzip-compressed.\n",
      meta.submitter, report.policy_domain, reports::day_start_rfc3339(meta.day),
      reports::day_end_rfc3339(meta.day), report.successful, report.failed);
  m.attachment_content_type = "application/tlsrpt+gzip";
  // §5.1: a unique id at the end; the report id's hash-free form is unique per (day, domain).
  m.attachment_filename = reports::tls_report_filename(meta, report.policy_domain, "1");
  m.attachment_bytes = gzipped;
  m.message_id_domain = meta.submitter;
  m.date = now;
  return m;
}

asio::awaitable<bool> send_tls_reports(TlsReportSendContext ctx, reports::DailyStore& store,
                                       std::string day) {
  if (!ctx.config || !ctx.resolver) co_return false;
  auto lines = store.read_day(day);
  if (!lines) {
    spdlog::error("tls-report: {}: {}", day, lines.error());
    co_return false;
  }
  const auto meta = tls_report_meta(*ctx.config, day);
  std::size_t skipped = 0;
  const auto reports = reports::build_tls_reports(*lines, meta, &skipped);
  if (skipped > 0) spdlog::warn("tls-report: {}: {} unreadable record(s) skipped", day, skipped);
  const std::string sent_file = sent_path(store, day);
  const auto sent = read_sent(sent_file);
  bool all = true;
  for (const auto& report : reports) {
    const auto rua = co_await lookup_tls_rua(*ctx.resolver, report.policy_domain);
    if (rua.empty()) {
      spdlog::info("tls-report: {} {}: no TLS-RPT record now; report not sent", day, report.policy_domain);
      continue;
    }
    const std::string gzipped = reports::gzip(report.json.dump());
    for (const auto& dest : rua) {
      const std::string key = report.policy_domain + " " +
                              (dest.kind == relay::ReportDestination::Kind::mailto ? "mailto:" : "") + dest.target;
      if (sent.count(key)) continue;
      std::string error;
      // Named arguments, not temporaries, in the co_await expressions (g++ 12).
      std::string target = dest.target;
      const std::int64_t now = unix_now();
      if (dest.kind == relay::ReportDestination::Kind::mailto) {
        reports::ReportMail mail = tls_report_mail(meta, report, ctx.config->reports.sender_address, gzipped, now);
        error = co_await queue_report(ctx.queue, std::move(mail), std::move(target), now);
      } else {
        std::string body = gzipped;
        std::string content_type = "application/tlsrpt+gzip";
        error = co_await post_report(*ctx.resolver, std::move(target), std::move(body), std::move(content_type),
                                     ctx.tls, ctx.https_timeout);
      }
      if (error.empty()) {
        note_sent(sent_file, key);
        spdlog::info("tls-report: {} {}: report {} sent to {} ({} successful, {} failed)", day,
                     report.policy_domain, report.report_id, key.substr(key.find(' ') + 1),
                     report.successful, report.failed);
      } else {
        all = false;
        spdlog::warn("tls-report: {} {}: report to {} not sent: {}; kept for the next run", day,
                     report.policy_domain, key.substr(key.find(' ') + 1), error);
      }
    }
  }
  if (all) ::unlink(sent_file.c_str());
  co_return all;
}

}  // namespace hikyaku::app
