// Reply addresses of a rewritten From (DMARC mitigation as mailing lists do, RFC 7960 §3.2.3):
// the original author's mailbox encoded in a local part at the forwarding domain, authenticated
// by an HMAC and dated like SRS, so mail to it can be routed back without any database.
// Pure: no I/O, the day is an argument. RFC 5321 §4.5.3.1.1 (local part at most 64 octets).
#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.hpp"
#include "core/expected.hpp"

namespace hikyaku::srs {

enum class ReplyError {
  not_reply,    // decode: the local part does not start with the reply tag: not ours to decode
  bad_syntax,   // decode: a field missing or empty, a bad stamp, the result not an address
  bad_hash,     // decode: no secret produces the hash (forged, damaged, or a retired secret)
  expired,      // decode: the stamp is older than max_age days, or in the future
  too_long,     // encode: the author's address does not fit in 64 octets with our fields
  unencodable,  // encode: a local part that needs quoting or holds UTF-8, or a null address
  no_key,       // no secret configured (config refuses that)
};
std::string_view describe(ReplyError e);

// The reply tag and the characters our fields add around the author's host and user:
//   FR=HHHHHHHH=TT=host=user   (8 hash characters, 2 stamp characters, 4 separators)
inline constexpr std::string_view kReplyTag = "FR";
inline constexpr size_t kReplyHashLength = 8;  // base32: 40 bits, read without case
inline constexpr size_t kReplyOverhead = 2 + 1 + kReplyHashLength + 1 + 2 + 1 + 1;  // 16
// RFC 5321 §4.5.3.1.1: so host + user may take 64 - 16 = 48 octets.
inline constexpr size_t kMaxLocalPart = 64;
inline constexpr int kDefaultReplyMaxAgeDays = 90;

// The reply address for `author` at `domain`: FR=HHHHHHHH=TT=host=user@domain. The hash is
// base32 (RFC 4648 §6) of HMAC-SHA256(secrets[0], label, TT, host, user), fields lowercased and
// NUL-separated after a label of their own, so no SRS hash can stand in for one. Every
// character we add is a letter, digit or '=', so a hop that changes letter case breaks nothing.
core::Expected<core::Address, ReplyError> make_reply_address(const core::Address& author,
                                                             const std::vector<std::string>& secrets,
                                                             std::string_view domain,
                                                             std::chrono::sys_days today);

// The author's mailbox back from a reply address (its domain is not looked at: routing did).
// Any secret may match (rotation: prepend the new one, drop the oldest after max_age). The
// stamp is valid from today back to max_age_days ago inclusive; max_age_days + 1 ago, and
// tomorrow, are expired (the same window as SRS).
core::Expected<core::Address, ReplyError> decode_reply_address(const core::Address& reply,
                                                               const std::vector<std::string>& secrets,
                                                               std::chrono::sys_days today,
                                                               int max_age_days);

// True for a local part starting, case-insensitively, with "FR=".
bool is_reply_address(std::string_view local_part);

}  // namespace hikyaku::srs
