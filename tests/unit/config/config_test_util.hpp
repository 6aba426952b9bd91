// Helpers shared by the configuration tests: load TOML text and get the errors as the
// "FILE:LINE: message" strings operators see, and a scratch directory for key-file tests.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"

namespace hikyaku::config::testing {

// Every error of loading `toml` as "t.toml", rendered; empty when it loads.
inline std::vector<std::string> errors_of(std::string_view toml, const std::string& name = "t.toml") {
  auto loaded = load_string(toml, name);
  std::vector<std::string> out;
  if (!loaded) {
    for (const auto& e : loaded.error()) out.push_back(e.text());
  }
  return out;
}

// A fresh directory under the system's temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hikyaku-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to `relative` (creating directories) and returns its absolute path.
  std::string write(const std::string& relative, std::string_view content) const {
    const auto p = path_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace hikyaku::config::testing
