// Fuzz target for the cached MTA-STS policy file the relay reads back from its spool at start
// (relay/mta_sts_cache_file, RFC 8461 §5.1). Any bytes give a cached policy or an error, never
// a crash; what parses renders back to the same bytes, names a safe file and holds its policy.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "relay/mta_sts_cache_file.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_mta_sts_cache_file invariant failed: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hikyaku::relay;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto cached = parse_cached_policy(in);
  if (cached) {
    check(render_cached_policy(*cached) == in, "rendering does not give the parsed bytes back");
    const std::string name = mta_sts_cache_file_name(cached->domain);
    check(!name.empty(), "a parsed domain has no file name");
    check(name.find('/') == std::string::npos && name.rfind("tmp.", 0) != 0, "an unsafe file name");
    check(!cached->id.empty() && cached->id.size() <= 32, "id length outside 1..32");
    check(cached->policy.max_age <= kMtaStsMaxAgeLimit, "max_age above the limit");
    check(cached->policy.mode == MtaStsMode::none || !cached->policy.mx.empty(), "enforcing policy without mx");
  }
  (void)mta_sts_cache_file_name(in);
  return 0;
}
