// `hikyaku serve`: run the relay in the foreground until SIGTERM/SIGINT; SIGHUP reloads.
#pragma once
#include <string>

namespace hikyaku::app {

// Returns the process exit code: 0 after a clean drain, 2 when the config or a bind fails.
int serve(const std::string& config_path);

}  // namespace hikyaku::app
