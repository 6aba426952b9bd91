// Fuzz target for auth/spf_wire: the relay decodes what an SPF helper (running
// attacker-influenced libspf2) sends, so any bytes must decode to a message or an error value,
// never crash; and every decoded message must encode back to the same frame.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/spf_wire.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_spf_wire invariant failed: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hikyaku::auth;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // As a whole frame, and as a bare payload.
  const auto frame = decode_spf_frame(in);
  if (frame) {
    const auto again = encode_spf_frame(*frame);
    check(again.has_value(), "a decoded frame does not encode");
    check(*again == in, "frame round trip changed the bytes");
  }
  const auto payload = decode_spf_payload(in);
  if (payload) {
    const auto again = encode_spf_frame(*payload);
    check(again.has_value(), "a decoded payload does not encode");
    check(again->substr(kSpfFrameHeader) == in, "payload round trip changed the bytes");
  }
  const auto header = parse_spf_frame_header(in);
  if (header) check(*header > 0 && *header <= kSpfMaxFrame, "header length out of bounds");
  return 0;
}
