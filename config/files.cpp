// Paths named in the configuration: resolution against the configuration file's directory
// and the load-time check that key and certificate files are readable regular files.
#include "config/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "config/values.hpp"

namespace hikyaku::config::detail {

namespace fs = std::filesystem;

fs::path base_directory(const std::string& config_name) {
  std::error_code ec;
  fs::path dir = fs::path(config_name).parent_path();
  if (dir.empty()) dir = ".";
  fs::path abs = fs::absolute(dir, ec);
  if (ec) return dir.lexically_normal();
  return abs.lexically_normal();
}

std::string resolve_path(const fs::path& base, std::string_view path) {
  fs::path p{std::string(path)};
  if (p.is_relative()) p = base / p;
  return p.lexically_normal().string();
}

namespace {
std::string errno_text() { return std::error_code(errno, std::generic_category()).message(); }
}  // namespace

std::optional<std::string> check_readable_file(const std::string& path) {
  const std::string quoted = quote(path, std::string::npos);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return "cannot read " + quoted + ": " + errno_text();
  }
  if (!S_ISREG(st.st_mode)) return "cannot read " + quoted + ": not a regular file";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return "cannot read " + quoted + ": " + errno_text();
  ::close(fd);
  return std::nullopt;
}

}  // namespace hikyaku::config::detail
