// Replays a fuzz target over its seed corpus (every file in the given directories, or files)
// so the normal, sanitized test build exercises each target without libFuzzer.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
int replay_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) count += replay_file(e.path());
      }
    } else if (std::filesystem::exists(p)) {
      count += replay_file(p);
    }
  }
  // Also the empty input and a few degenerate ones, whatever the corpus holds.
  const std::string degenerate[] = {"", std::string(1, '\0'), "\r\n", std::string(70000, 'A')};
  for (const auto& d : degenerate) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(d.data()), d.size());
    ++count;
  }
  std::printf("replayed %d inputs\n", count);
  return count > 4 ? 0 : 1;  // a target without seeds is a mistake
}
