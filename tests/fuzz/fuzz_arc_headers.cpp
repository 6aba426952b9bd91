// Fuzz target for auth/ ARC verification (RFC 8617 §5.2) and RFC 6376 §3.2 tag lists: the
// input as a tag list, as canonicalisation input, and as a whole message for arc_verify with a
// key lookup that finds nothing. Never crashes; a pass without keys is a broken invariant.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/arc_verify.hpp"
#include "auth/dkim_canon.hpp"
#include "auth/tag_list.hpp"
#include "core/message.hpp"

namespace {

namespace auth = hikyaku::auth;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_arc_headers invariant failed: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  if (auto tags = auth::parse_tag_list(input)) {
    for (const auto& t : tags->tags) {
      check(!t.name.empty(), "empty tag name");
      check(tags->find(t.name) == &t.value, "duplicate tag accepted");
      check(t.value.empty() || (t.value.front() != ' ' && t.value.back() != ' '), "value untrimmed");
    }
  }
  for (auto c : {auth::Canon::simple, auth::Canon::relaxed}) {
    const std::string body = auth::canon_body(c, input);
    check(body == auth::canon_body(c, body), "body canonicalisation not idempotent");
    (void)auth::without_b_value(input);
  }
  const hikyaku::core::Message message(input);
  const auth::KeyLookup no_keys = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  const auth::ArcResult r = auth::arc_verify(message, no_keys);
  check(r.cv != auth::ArcResult::Cv::pass, "pass without any key");
  check(r.instances >= 0 && r.instances <= 50, "instance count out of range");
  // The same message with a key table that answers garbage must not crash either.
  const auth::KeyLookup junk = [&input](const std::string&) -> std::optional<std::string> {
    return input.substr(0, 64);
  };
  (void)auth::arc_verify(message, junk);
  return 0;
}
