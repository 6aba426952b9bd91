// Fuzz target for queue/spool_file: decoding arbitrary bytes never crashes and anything that
// decodes re-encodes to the same bytes (one canonical form; a version 1 file to the version 2
// file of the same entry); an entry built from the input round-trips exactly through
// encode -> decode; the streaming SpoolMetadataReader, fed in uneven pieces, accepts exactly
// what decode() accepts and gives the same entry without its message, and that message's length.
// Broken invariants abort.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "queue/spool_file.hpp"

namespace {

namespace queue = hikyaku::queue;

void check(bool ok, const char* what, std::size_t size) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_spool_file invariant failed: %s (input %zu octets)\n", what, size);
  std::abort();
}

// Splits the input at 0x1F octets into fields of an entry.
queue::SpoolEntry build(std::string_view in) {
  std::string parts[8];
  std::size_t i = 0;
  for (const char c : in) {
    if (c == '\x1F' && i < 7) ++i;
    else parts[i].push_back(c);
  }
  queue::SpoolEntry e;
  e.queue_id = parts[0];
  e.mail_from = parts[1];
  e.upstream_from = parts[2];
  e.last_error = parts[3];
  e.message = parts[7];
  e.arrival = static_cast<std::int64_t>(in.size()) * -7919;
  e.next_try = INT64_MAX - static_cast<std::int64_t>(in.size());
  e.attempts = static_cast<std::uint32_t>(in.size());
  e.smtputf8 = in.size() % 2 == 1;
  e.eight_bit = in.size() % 3 == 1;
  e.spf = parts[5];
  const queue::RcptState states[] = {queue::RcptState::pending, queue::RcptState::delivered,
                                     queue::RcptState::failed};
  for (int r = 4; r < 7; ++r) {
    if (!parts[r].empty()) {
      e.recipients.push_back({parts[r], states[parts[r].size() % 3], parts[r - 1], parts[r - 2]});
    }
  }
  return e;
}

// The metadata reader over `bytes` in pieces of 1, 2, 3, ... octets.
// `length` gets the message length it reports.
hikyaku::core::Expected<queue::SpoolEntry, std::string> metadata(std::string_view bytes, std::uint64_t& length) {
  queue::SpoolMetadataReader reader(bytes.size());
  for (std::size_t piece = 1; !bytes.empty(); ++piece) {
    const auto n = std::min(piece, bytes.size());
    reader.feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  auto entry = reader.finish();
  length = reader.message_length();
  return entry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  {
    const auto whole = queue::decode(in);
    std::uint64_t length = 0;
    const auto meta = metadata(in, length);
    check(whole.has_value() == meta.has_value(), "metadata reader and decode disagree", size);
    if (whole) {
      check(length == whole->message.size(), "metadata reader gives another message length", size);
      queue::SpoolEntry without = *whole;
      without.message.clear();
      check(*meta == without, "metadata reader gives another entry", size);
    }
  }
  if (const auto d = queue::decode(in); d) {
    const bool v1 = in.substr(0, queue::kSpoolMagicV1.size()) == queue::kSpoolMagicV1;
    const bool v2 = in.substr(0, queue::kSpoolMagicV2.size()) == queue::kSpoolMagicV2;
    if (v1 || v2) {
      const auto again = queue::decode(queue::encode(*d));
      check(again.has_value() && *again == *d, "old version file does not re-encode to its entry", size);
      check(!v1 || (!d->smtputf8 && !d->eight_bit), "version 1 file with MAIL FROM parameters", size);
      check(d->spf.empty(), "old version file with an SPF result", size);
      for (const auto& r : d->recipients) check(r.original.empty(), "old version file with an original", size);
    } else {
      check(queue::encode(*d) == in, "decoded file does not re-encode to the same bytes", size);
    }
  } else {
    check(!d.error().empty(), "refusal without a reason", size);
  }
  const queue::SpoolEntry e = build(in);
  const std::string bytes = queue::encode(e);
  const auto back = queue::decode(bytes);
  check(back.has_value(), "encoded entry does not decode", size);
  check(*back == e, "round trip changed the entry", size);
  if (!bytes.empty()) {
    check(!queue::decode(std::string_view(bytes).substr(0, bytes.size() - 1)).has_value(),
          "truncated file decoded", size);
  }
  return 0;
}
