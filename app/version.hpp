// The release this binary is: `hikyaku --version`, the start-up and reload log lines (one
// definition, metrics/version.hpp, also labels hikyaku_build_info).
#pragma once

#include "metrics/version.hpp"

namespace hikyaku::app {

inline constexpr const char* kVersion = metrics::kVersion;

}  // namespace hikyaku::app
