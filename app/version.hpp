// The release this binary is: `hikyaku --version`, the start-up and reload log lines.
#pragma once

namespace hikyaku::app {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace hikyaku::app
