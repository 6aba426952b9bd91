// hikyaku srs forward|reverse: srs::forward / srs::reverse with the keys, domain and maximum age
// from the configuration, today's date from the clock.
#include "app/srs_command.hpp"

#include <fmt/format.h>

#include "config/loader.hpp"
#include "routing/srs_bounce.hpp"

namespace hikyaku::app {

int srs_command(const std::string& config_path, bool forward, const std::string& address) {
  auto loaded = config::load_file(config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  auto srs = routing::SrsRouting::from(loaded->srs);
  if (!srs) {
    fmt::print(stderr, "{}: no [srs] domain and secrets configured\n", config_path);
    return 2;
  }
  // An address pasted from a log line or a header keeps its angle brackets: <a@b> is a@b.
  std::string_view bare = address;
  if (bare.size() >= 2 && bare.front() == '<' && bare.back() == '>') bare = bare.substr(1, bare.size() - 2);
  auto parsed = core::parse_mailbox(bare, true);
  if (!parsed) {
    fmt::print(stderr, "srs: \"{}\": {}\n", address, core::describe(parsed.error()));
    return 2;
  }
  auto result = forward ? srs::forward(*parsed, srs->keys, srs->domain, srs->today())
                        : srs::reverse(*parsed, srs->keys, srs->today(), srs->max_age_days);
  if (!result) {
    fmt::print(stderr, "{}: {}\n", address, srs::describe(result.error()));
    return 1;
  }
  fmt::print("{}\n", result->str_as_sent());
  return 0;
}

}  // namespace hikyaku::app
