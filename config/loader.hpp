// TOML configuration → Config, or every error found as "FILE:LINE: message".
// Durations are strings with a unit ("250ms", "30s", "5m", "2h", "5d"); sizes are bytes.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/expected.hpp"

namespace hikyaku::config {

struct ConfigError {
  std::string file;
  int line = 0;            // 0 when no line applies
  std::string message;
  std::string text() const;  // "FILE:LINE: message" (or "FILE: message")
};

using ConfigErrors = std::vector<ConfigError>;

// Parses and validates; file checks (TLS cert/key, DKIM/ARC keys exist and are readable)
// are included. Relative paths in the file are resolved against the file's directory.
core::Expected<Config, ConfigErrors> load_file(const std::string& path);
// Same, from text already in memory; `name` is used in messages and to resolve relative paths.
core::Expected<Config, ConfigErrors> load_string(std::string_view toml, const std::string& name);

// "30s" → 30000ms; nullopt when malformed.
std::optional<Duration> parse_duration(std::string_view text);

}  // namespace hikyaku::config
