// Sender Rewriting Scheme (Shevek's SRS0/SRS1, as libsrs2 and PostSRSd implement it): rewrite a
// forwarded message's MAIL FROM into our domain so SPF passes, and reverse bounces sent to it.
// Pure: no I/O; the day is an argument. Format and vectors: shared/conformance/srs/README.md.
#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.hpp"
#include "core/expected.hpp"

namespace hikyaku::srs {

struct SrsKeys {
  SrsKeys(std::vector<std::string> secrets_ = {}, std::size_t hash_length_ = 4,
          bool accept_legacy_hash_ = true)
      : secrets(std::move(secrets_)), hash_length(hash_length_), accept_legacy_hash(accept_legacy_hash_) {}
  // The first secret signs; every one verifies (rotation: prepend the new secret, drop the
  // oldest after max_age days). The HMAC key is the secret's bytes as given.
  std::vector<std::string> secrets;
  // Hash characters emitted (4..10). 4 is libsrs2/Mail::SRS exactly (its vectors), compared
  // ignoring case; longer hashes are compared with case ([srs] hash_length, default 6 there).
  std::size_t hash_length = 4;
  // With hash_length > 4: a hash of exactly 4 characters (an address written before the length
  // was raised) is still accepted the old way, case ignored ([srs] accept_legacy_hash).
  bool accept_legacy_hash = true;
};

enum class SrsError {
  not_srs,     // reverse: the local part is not SRS0/SRS1 — not ours to reverse
  bad_syntax,  // a field is missing or empty, a timestamp is malformed, the result is not an
               // address; forward: null or domain-less sender, bad srs_domain
  bad_hash,    // no secret produces the hash (forged or signed with a retired secret)
  expired,     // timestamp older than max_age days, or in the future
  too_long,    // the result breaks RFC 5321 §4.5.3.1 (local part 64, domain 255, path 256)
  no_key,      // SrsKeys holds no secret (a configuration error; config should refuse it)
};
std::string_view describe(SrsError e);

inline constexpr int kDefaultMaxAgeDays = 21;  // libsrs2/PostSRSd default

// Rewrites `sender` into `srs_domain`:
//   user@host              -> SRS0=HHHH=TT=host=user@srs_domain
//   SRS0=rest@host         -> SRS1=HHHH=host==rest@srs_domain         (we are the 2nd hop)
//   SRS1=X=first=rest@host -> SRS1=HHHH=first==rest@srs_domain        (re-signed, X dropped)
// A sender already in srs_domain is returned unchanged (libsrs2/PostSRSd without
// alwaysrewrite: it is ours already, SPF passes for it as it is), its spelling included.
// The host field keeps the sender's letter case (Address::domain_as_sent), as Mail::SRS and
// libsrs2 write it; the hash is over lowercased fields. Vectors: tests/unit/srs/testdata.
// The null sender must not be passed (the caller keeps "<>"): it gives bad_syntax.
// too_long when the rewritten local part exceeds 64 octets (RFC 5321 §4.5.3.1.1) or the path
// 256: the caller then keeps the original sender and logs it (SPF may fail downstream, but
// an over-long path would be refused outright by conforming servers).
core::Expected<core::Address, SrsError> forward(const core::Address& sender, const SrsKeys& keys,
                                                std::string_view srs_domain,
                                                std::chrono::sys_days today);

// Reverses an address in our SRS domain (its domain is not looked at; routing checked it):
//   SRS0=HHHH=TT=host=user@any   -> user@host                 (hash and age checked)
//   SRS1=HHHH=first=rest@any     -> SRS0rest@first            (hash checked; no timestamp)
// Accepted: any letter case (but a hash longer than 4 characters must keep its case, see
// SrsKeys), '=', '-' or '+' right after the SRS0/SRS1 tag, hashes in base64 or base64url. Age window (libsrs2 exactly): the stamp's day is valid from today back to
// max_age_days ago inclusive; max_age_days + 1 ago, and tomorrow, are expired.
core::Expected<core::Address, SrsError> reverse(const core::Address& srs_address,
                                                const SrsKeys& keys, std::chrono::sys_days today,
                                                int max_age_days = kDefaultMaxAgeDays);

// True for a local part starting (case-insensitively) with SRS0 or SRS1 followed by '=', '-'
// or '+' (the separators libsrs2 accepts after the tag).
bool is_srs(std::string_view local_part);

}  // namespace hikyaku::srs
