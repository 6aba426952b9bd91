// tls_report_command: reads the day's store file (read-only; the running server may be
// appending) and prints the reports build_tls_reports makes of it, or sends REPORTS.
#include "app/tls_report_command.hpp"

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "app/queue_command.hpp"
#include "app/tls_report_sender.hpp"
#include "config/loader.hpp"
#include "queue/control_protocol.hpp"
#include "reports/daily_store.hpp"
#include "reports/tls_report.hpp"

namespace hikyaku::app {

int tls_report_command(const TlsReportCommandOptions& options) {
  auto loaded = config::load_file(options.config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  const config::Config& config = *loaded;
  if (options.send) {
    std::string error;
    const auto raw = ask_control_socket(config.queue.control_socket_path(), "REPORTS\n", error);
    if (!raw) {
      fmt::print(stderr, "no server listens on {}\n", config.queue.control_socket_path());
      return 2;
    }
    if (!error.empty()) {
      fmt::print(stderr, "{}\n", error);
      return 2;
    }
    auto response = queue::parse_response(*raw);
    if (!response) {
      fmt::print(stderr, "bad answer from the server: {}\n", response.error());
      return 2;
    }
    if (!response->ok) {
      fmt::print(stderr, "{}\n", response->error);
      return 1;
    }
    fmt::print("{} day(s) of reports sent\n", response->count);
    return 0;
  }
  std::string day = options.day;
  if (day.empty()) {
    day = reports::utc_day(std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count());
  } else if (!reports::is_day(day)) {
    fmt::print(stderr, "--day: expected YYYY-MM-DD, got {}\n", day);
    return 2;
  }
  const std::string dir = config.queue.directory + "/reports/tls";
  std::vector<std::string> lines;
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    auto store = reports::DailyStore::open({dir, config.reports.max_bytes_per_day, config.reports.fsync_batch});
    if (!store) {
      fmt::print(stderr, "{}\n", store.error());
      return 2;
    }
    auto read = store->read_day(day);
    if (!read) {
      fmt::print(stderr, "{}\n", read.error());
      return 2;
    }
    lines = std::move(*read);
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& report : reports::build_tls_reports(lines, tls_report_meta(config, day))) {
    out.push_back(std::move(report.json));
  }
  fmt::print("{}\n", out.dump(2));
  return 0;
}

}  // namespace hikyaku::app
