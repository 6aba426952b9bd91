// `hikyaku check -c FILE`: validate the configuration, its rules and the files it names.
#pragma once
#include <string>

namespace hikyaku::app {
// Prints "configuration OK" (exit 0) or every error as FILE:LINE: message (exit 2).
int check(const std::string& config_path);
}  // namespace hikyaku::app
