// Log setup: spdlog to stderr, "2026-11-22T16:02:05.123Z hikyaku[pid] info: ..." lines, or
// JSON lines ([log] format = "json"), or the journal ([log] target = "journald").
#include "app/logging.hpp"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "app/log_sinks.hpp"

namespace hikyaku::app {

void setup_logging(const config::LogConfig& log) {
  std::shared_ptr<spdlog::logger> logger;
  if (log.target == "journald") {
    logger = std::make_shared<spdlog::logger>("hikyaku", std::make_shared<JournaldSink>(stderr));
  } else if (log.format == "json") {
    logger = std::make_shared<spdlog::logger>("hikyaku", std::make_shared<JsonSink>(stderr));
  } else {
    logger = spdlog::stderr_logger_mt("hikyaku");
    // The pid written into the pattern once: spdlog's %P calls getpid() (a system call) per line.
    logger->set_pattern(fmt::format("%Y-%m-%dT%H:%M:%S.%eZ hikyaku[{}] %l: %v", ::getpid()),
                        spdlog::pattern_time_type::utc);
  }
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  set_log_level(log.level);
  if (log.target == "journald" && !journal_socket_present()) {
    spdlog::warn("[log] target = journald, but there is no journal socket: logging to stderr");
  }
}

void set_log_level(const std::string& level, bool announce) {
  const auto now = spdlog::level::from_str(level == "warning" ? "warn" : level);
  if (announce) {
    spdlog::set_level(std::min(spdlog::get_level(), now));
    spdlog::info("log level now {}", level);
  }
  spdlog::set_level(now);
}

}  // namespace hikyaku::app
