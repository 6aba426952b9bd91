// `hikyaku config [-c FILE] [--changed]` (the `postconf -n` of Hikyaku): the configuration in
// force after loading, every key with its effective value (defaults included), as TOML that
// `hikyaku check` accepts again; the served domains and their rules last.
#pragma once
#include <string>
#include <vector>

#include "config/config.hpp"

namespace hikyaku::app {

struct Setting {
  std::string table;  // "server", "server.tls", "queue"
  std::string key;
  std::string value;  // a TOML value: "\"5m\"", "100", "true", "[\"a\", \"b\"]"
  // Printed as a comment: "" or [] (the key is not set), or a value the loader derived from
  // another key ("same as server.hostname"), which a file need not repeat.
  std::string note;
};

// Every scalar and list setting of `c` outside [[domain]] and [[dkim.key]], in schema order.
std::vector<Setting> settings_of(const config::Config& c);

// The whole configuration as TOML; with `changed_only`, only the settings whose value differs
// from a configuration that sets nothing (the domains and keys are always shown).
std::string render_config(const config::Config& c, bool changed_only);

// One line per served domain for the start-up and reload logs: rules, catch-all,
// subaddressing and DMARC enforcement.
std::vector<std::string> domain_summaries(const config::Config& c);

int config_command(const std::string& config_path, bool changed_only);

}  // namespace hikyaku::app
