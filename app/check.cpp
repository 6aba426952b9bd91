// `hikyaku check`: the loader's validation plus what only building the runtime finds
// (a certificate that does not parse or does not match its key).
#include "app/check.hpp"

#include <fmt/format.h>

#include "app/runtime.hpp"
#include "app/user_access.hpp"
#include "config/loader.hpp"

namespace hikyaku::app {

int check(const std::string& config_path) {
  auto loaded = config::load_file(config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  const std::vector<std::string> warnings = loaded->warnings;
  if (const auto problems = unusable_by_service_user(*loaded); !problems.empty()) {
    for (const auto& p : problems) fmt::print(stderr, "{}: {}\n", config_path, p);
    return 2;
  }
  asio::io_context io;  // the resolver is created (never queried) to check [dns]
  auto env = build_environment(std::make_shared<const config::Config>(std::move(*loaded)),
                               io.get_executor(), ProcessServices{});
  if (!env) {
    fmt::print(stderr, "{}\n", env.error());
    return 2;
  }
  for (const auto& w : warnings) fmt::print(stderr, "{}\n", w);
  if (warnings.empty()) {
    fmt::print("configuration OK\n");
  } else {
    fmt::print("configuration OK ({} warning(s))\n", warnings.size());
  }
  return 0;
}

}  // namespace hikyaku::app
