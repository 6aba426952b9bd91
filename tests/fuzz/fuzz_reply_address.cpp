// Fuzz target for srs/reply_address: decoding arbitrary local parts never crashes and only a
// local part we could have written decodes (to a valid mailbox); authors taken from the input
// round-trip within max age, expire after it, and never verify under a secret we do not hold.
// Broken invariants abort.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/address.hpp"
#include "core/message.hpp"
#include "srs/reply_address.hpp"

namespace {

namespace srs = hikyaku::srs;
using hikyaku::core::Address;

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_reply_address invariant failed: %s (input %zu octets)\n", what, input.size());
  std::abort();
}

const std::vector<std::string> kSecrets = {"current", "previous"};
const std::chrono::sys_days kToday{std::chrono::days{20000}};

bool valid_mailbox(const Address& a) {
  const auto again = hikyaku::core::parse_mailbox(a.str(), false);
  return again && again->local == a.local && again->domain == a.domain && a.local.size() <= 64;
}

void fuzz_decode(std::string_view in) {
  Address a;
  a.local = std::string(in);
  a.domain = "fwd.example";
  const auto r = srs::decode_reply_address(a, kSecrets, kToday, 90);
  if (r) {
    check(srs::is_reply_address(a.local), "decoded a local part without the tag", in);
    check(a.local.size() <= srs::kMaxLocalPart, "decoded an over-long local part", in);
    check(valid_mailbox(*r), "decoded to an invalid mailbox", in);
  } else {
    check((r.error() == srs::ReplyError::not_reply) == !srs::is_reply_address(a.local),
          "not_reply disagrees with is_reply_address", in);
  }
}

void fuzz_round_trip(std::string_view in) {
  const auto author = hikyaku::core::parse_mailbox(in, true);
  if (!author) return;
  const auto made = srs::make_reply_address(*author, kSecrets, "fwd.example", kToday);
  if (!made) {
    check(made.error() == srs::ReplyError::too_long || made.error() == srs::ReplyError::unencodable,
          "encoding failed for another reason", in);
    return;
  }
  check(valid_mailbox(*made) && made->domain == "fwd.example", "encoded an invalid mailbox", in);
  const auto back = srs::decode_reply_address(*made, kSecrets, kToday + std::chrono::days{90}, 90);
  check(back.has_value(), "encoded address does not decode", in);
  check(back->local == author->local && back->domain == author->domain, "round trip changed the author", in);
  const auto late = srs::decode_reply_address(*made, kSecrets, kToday + std::chrono::days{91}, 90);
  check(!late && late.error() == srs::ReplyError::expired, "expired address accepted", in);
  const auto stranger = srs::decode_reply_address(*made, {"other"}, kToday, 90);
  check(!stranger && stranger.error() == srs::ReplyError::bad_hash, "accepted with an unknown secret", in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.size() > 4096) return 0;
  fuzz_decode(in);
  fuzz_round_trip(in);
  return 0;
}
