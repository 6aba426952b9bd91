// The release this binary is: `hikyaku --version`, the start-up and reload log lines, and the
// version label of hikyaku_build_info.
#pragma once

namespace hikyaku::metrics {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace hikyaku::metrics
