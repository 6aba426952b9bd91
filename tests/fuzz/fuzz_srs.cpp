// Fuzz target for srs/: reverse of arbitrary local parts (never crashes, every success is a
// valid RFC 5321 mailbox), and forward -> reverse round trips (a rewritten sender always
// reverses to the original within max age, and expires after it). Broken invariants abort.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/address.hpp"
#include "core/ascii.hpp"
#include "srs/srs.hpp"

namespace {

using hikyaku::core::Address;
using hikyaku::srs::SrsError;
namespace srs = hikyaku::srs;

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_srs invariant failed: %s (input %zu octets)\n", what, input.size());
  std::abort();
}

const srs::SrsKeys kKeys4{{"current", "previous"}};                  // libsrs2's 4 characters
const srs::SrsKeys kKeys6({"current", "previous"}, 6, /*accept_legacy_hash=*/true);  // the default
const std::chrono::sys_days kToday{std::chrono::days{18262}};

bool valid_mailbox(const Address& a) {
  const auto again = hikyaku::core::parse_mailbox(a.str(), true);
  return again && again->local == a.local && again->domain == a.domain && a.local.size() <= 64;
}

void fuzz_reverse_with(const Address& a, const srs::SrsKeys& keys, std::string_view in);
void fuzz_round_trip_with(std::string_view in, const srs::SrsKeys& kKeys);

void fuzz_reverse(std::string_view in) {
  Address a;
  a.local = std::string(in);
  a.domain = "fwd.example";
  for (const auto* keys : {&kKeys4, &kKeys6}) fuzz_reverse_with(a, *keys, in);
}

void fuzz_round_trip(std::string_view in) {
  for (const auto* keys : {&kKeys4, &kKeys6}) fuzz_round_trip_with(in, *keys);
}

void fuzz_reverse_with(const Address& a, const srs::SrsKeys& keys, std::string_view in) {
  const auto r = srs::reverse(a, keys, kToday, 21);
  if (r) {
    check(srs::is_srs(a.local), "reversed a non-SRS local part", in);
    check(valid_mailbox(*r), "reverse produced an invalid mailbox", in);
  } else {
    check((r.error() == SrsError::not_srs) == !srs::is_srs(a.local), "not_srs disagrees with is_srs", in);
  }
}

void fuzz_round_trip_with(std::string_view in, const srs::SrsKeys& kKeys) {
  const auto sender = hikyaku::core::parse_mailbox(in, true);
  if (!sender || sender->domain == "fwd.example") return;
  const auto f = srs::forward(*sender, kKeys, "fwd.example", kToday);
  if (!f) {
    const bool srs1 = hikyaku::core::ascii_istarts_with(sender->local, "SRS1") && srs::is_srs(sender->local);
    // An empty local part (""@host, valid RFC 5321) could not be reversed: refused on purpose,
    // and the relay keeps the original sender.
    const bool empty_local = sender->local.empty();
    check(f.error() == SrsError::too_long || ((srs1 || empty_local) && f.error() == SrsError::bad_syntax),
          "forward failed for a valid sender", in);
    return;
  }
  check(srs::is_srs(f->local) && f->domain == "fwd.example", "forward result not SRS", in);
  check(valid_mailbox(*f), "forward produced an invalid mailbox", in);
  const auto back = srs::reverse(*f, kKeys, kToday + std::chrono::days{21}, 21);
  check(back.has_value(), "forward result does not reverse", in);
  check(valid_mailbox(*back), "reverse of forward invalid", in);
  const bool was_srs = srs::is_srs(sender->local);
  if (!was_srs) {
    check(back->local == sender->local && back->domain == sender->domain, "round trip changed sender", in);
    const auto late = srs::reverse(*f, kKeys, kToday + std::chrono::days{22}, 21);
    check(!late && late.error() == SrsError::expired, "expired SRS0 accepted", in);
  } else if (hikyaku::core::ascii_istarts_with(sender->local, "SRS0")) {
    check(back->domain == sender->domain && back->local.substr(4) == sender->local.substr(4),
          "SRS0 -> SRS1 -> SRS0 changed the address", in);
  }
  const auto stranger = srs::reverse(*f, srs::SrsKeys({"other"}, kKeys.hash_length), kToday, 21);
  check(!stranger, "accepted with an unknown secret", in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.size() > 4096) return 0;
  fuzz_reverse(in);
  fuzz_round_trip(in);
  return 0;
}
