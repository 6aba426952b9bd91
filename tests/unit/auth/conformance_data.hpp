// Where the public conformance suites are: ../shared/conformance beside the source tree (as in
// CI), read in place and never copied into the project. An absent suite is skipped with
// conformance_absent()'s message, which says which data is missing; it never counts as passed.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace hikyaku::test {

inline std::filesystem::path conformance_path(std::string_view relative) {
  return (std::filesystem::path(HIKYAKU_SOURCE_DIR) / ".." / "shared" / "conformance" / relative)
      .lexically_normal();
}

inline std::string conformance_absent(const std::filesystem::path& expected) {
  return "conformance suite not run: " + expected.string() +
         " is absent (../shared/conformance is not beside the source tree)";
}

}  // namespace hikyaku::test
