// Fuzz target for config/loader: arbitrary bytes as a TOML configuration. load_string must
// never crash or throw; errors must be single printable lines with a file and message; a
// configuration it accepts must satisfy the limits it promises (RFC 5321 §4.5.3.1).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/loader.hpp"

namespace {

using hikyaku::config::Config;
using hikyaku::config::RouteAction;
using hikyaku::config::RouteTarget;

void check(bool ok, const char* what, size_t size) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_config invariant failed: %s (input %zu octets)\n", what, size);
  std::abort();
}

bool one_line(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void check_target(const RouteTarget& t, size_t size) {
  if (t.action == RouteAction::forward) check(!t.forward_to.empty(), "forward without destinations", size);
  if (t.action == RouteAction::reject) {
    check(t.reply_code >= 400 && t.reply_code <= 599, "reject code out of range", size);
    check(!t.reply_text.empty() && one_line(t.reply_text), "reject text empty or multi-line", size);
  }
}

void check_config(const Config& c, size_t size) {
  check(c.server.max_command_line >= 512, "max_command_line below 512", size);
  check(c.server.max_text_line >= 1000, "max_text_line below 1000", size);
  check(c.server.max_recipients >= 1 && c.server.max_message_size >= 1, "zero limit", size);
  check(c.server.command_timeout.count() > 0 && c.server.data_timeout.count() > 0, "zero timeout", size);
  check(c.relay.port != 0, "relay port 0", size);
  check(!c.relay.helo_name.empty() && !c.auth.authserv_id.empty(), "empty default names", size);
  for (const auto& d : c.domains) {
    check(!d.name.empty() && d.line > 0, "domain without name or line", size);
    check(!d.subaddress_separator.empty(), "empty separator", size);
    if (d.catch_all) check_target(*d.catch_all, size);
    for (const auto& r : d.rules) {
      check(!r.address.empty() && r.line > 0, "rule without address or line", size);
      check_target(r.target, size);
    }
  }
  for (const auto& k : c.dkim_keys) {
    check(k.algorithm == "rsa-sha256" || k.algorithm == "ed25519-sha256", "unknown algorithm accepted", size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto loaded = hikyaku::config::load_string(text, "fuzz.toml");
    if (loaded) {
      check_config(*loaded, size);
    } else {
      check(!loaded.error().empty(), "failure without errors", size);
      for (const auto& e : loaded.error()) {
        check(e.file == "fuzz.toml", "error names another file", size);
        check(e.line >= 0 && !e.message.empty(), "error without message", size);
        check(one_line(e.text()), "error text spans lines", size);
      }
    }
  } catch (...) {
    check(false, "exception escaped load_string", size);
  }
  return 0;
}
