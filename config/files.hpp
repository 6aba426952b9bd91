// Private: paths named in the configuration. Relative paths are resolved against the
// directory of the configuration file; key and certificate files must be readable regular
// files when the configuration is loaded (their content is checked by the modules using them).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace hikyaku::config::detail {

// The directory relative paths in `config_name` are resolved against (absolute).
std::filesystem::path base_directory(const std::string& config_name);

// `path` made absolute against `base` and lexically normalised.
std::string resolve_path(const std::filesystem::path& base, std::string_view path);

// Nothing when `path` is a regular file this process can open for reading; else the problem,
// e.g. "cannot read \"/etc/k.pem\": No such file or directory". Never opens anything but a
// regular file (no FIFOs or devices).
std::optional<std::string> check_readable_file(const std::string& path);

}  // namespace hikyaku::config::detail
