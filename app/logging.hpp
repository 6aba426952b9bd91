// Process-wide log setup: one line per event on stderr, level from [log] level.
#pragma once
#include <string>

namespace hikyaku::app {
void setup_logging(const std::string& level);
}  // namespace hikyaku::app
