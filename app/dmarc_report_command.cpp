// The `dmarc-report` verb: the day's lines read from the store the relay writes
// (<queue directory>/reports/dmarc), made into reports and their destinations as the daily
// sending would (app/dmarc_report_day), and printed: a few "field: value" lines per report, then
// its XML document.
#include "app/dmarc_report_command.hpp"

#include <fmt/format.h>

#include <chrono>

#include "app/dmarc_report_day.hpp"
#include "app/dmarc_reports_wiring.hpp"
#include "config/loader.hpp"
#include "dmarc_reports/report_naming.hpp"
#include "dns/unbound_resolver.hpp"

namespace hikyaku::app {

namespace {

std::string today_utc() {
  const auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{days};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

void print(const PreparedDmarcDay& day) {
  fmt::print("records: {}\n", day.records);
  if (day.bad_lines) fmt::print("unreadable lines: {} (first: {})\n", day.bad_lines, day.first_error);
  for (const auto& p : day.reports) {
    const auto& r = p.report;
    fmt::print("report: {} ({} message{}, {} record{})\n", r.report.policy_domain, r.report.messages,
               r.report.messages == 1 ? "" : "s", r.report.rows.size(), r.report.rows.size() == 1 ? "" : "s");
    fmt::print("subject: {}\n", r.subject);
    fmt::print("filename: {}\n", r.filename);
    for (const auto& d : p.destinations.send_to) fmt::print("to: {}\n", d.address);
    for (const auto& s : p.destinations.skipped) fmt::print("skipped: {}\n", s);
    fmt::print("{}", r.xml);
  }
}

}  // namespace

int dmarc_report_command(const DmarcReportCommandOptions& o) {
  auto loaded = config::load_file(o.config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  const std::string day = o.day.empty() ? today_utc() : o.day;
  if (!dmarc_reports::day_range(day)) {
    fmt::print(stderr, "dmarc-report: not a day (YYYY-MM-DD): {}\n", day);
    return 2;
  }
  auto store = open_dmarc_store(*loaded);
  if (!store) {
    fmt::print(stderr, "dmarc-report: {}\n", store.error());
    return 2;
  }
  auto lines = read_dmarc_day(**store, day);
  if (!lines) {
    fmt::print(stderr, "dmarc-report: {}\n", lines.error());
    return 2;
  }
  asio::io_context io;
  auto unbound = dns::UnboundResolver::create(
      io.get_executor(), dns::UnboundOptions{loaded->dns.servers, loaded->dns.timeout, {}, loaded->dns.trust_anchor_file});
  if (!unbound) {
    fmt::print(stderr, "dmarc-report: {}\n", unbound.error());
    return 2;
  }
  std::shared_ptr<dns::Resolver> resolver(std::move(*unbound));
  int code = 2;
  asio::co_spawn(io, prepare_dmarc_day(*resolver, dmarc_reporter(*loaded), day, std::move(*lines)),
                 [&code](std::exception_ptr e, PreparedDmarcDay prepared) {
                   if (e) return;
                   print(prepared);
                   code = 0;
                 });
  io.run();
  resolver.reset();  // before the io_context
  io.restart();
  io.run();
  return code;
}

}  // namespace hikyaku::app
