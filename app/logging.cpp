// Log setup: spdlog to stderr, "2026-11-22T16:02:05.123Z hikyaku[pid] info: ..." lines.
#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace hikyaku::app {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("hikyaku");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ hikyaku[%P] %l: %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level == "warning" ? "warn" : level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace hikyaku::app
