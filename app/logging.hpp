// Process-wide log setup: one line per event, level from [log] level, shape from [log] format
// (text or JSON lines on stderr) and [log] target (stderr or journald's native fields).
#pragma once
#include <string>

#include "config/config.hpp"

namespace hikyaku::app {
void setup_logging(const config::LogConfig& log);
// A new [log] level for the logger set up above (SIGHUP applies it at once). With `announce`,
// the change is logged under the more verbose of the two levels, so it shows either way.
void set_log_level(const std::string& level, bool announce = false);
}  // namespace hikyaku::app
