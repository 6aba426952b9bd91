// Process-wide log setup: one line per event on stderr, level from [log] level.
#pragma once
#include <string>

namespace hikyaku::app {
void setup_logging(const std::string& level);
// A new [log] level for the logger set up above (SIGHUP applies it at once). With `announce`,
// the change is logged under the more verbose of the two levels, so it shows either way.
void set_log_level(const std::string& level, bool announce = false);
}  // namespace hikyaku::app
