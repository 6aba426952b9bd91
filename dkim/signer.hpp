// DKIM signing on OpenSSL with our own canonicalization (auth/dkim_canon): relaxed/relaxed, the
// RFC 6376 §5.4.1 header list with the key identity fields over-signed (§5.4.2, §8.15), t= from
// the caller's clock (§3.5), Ed25519 (RFC 8463) and RSA (RFC 8301). Produces the DKIM-Signature
// field to prepend (§5.6).
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "auth/body_hash.hpp"
#include "core/expected.hpp"
#include "core/message.hpp"
#include "dkim/key_store.hpp"

namespace hikyaku::dkim {

struct DkimError {
  std::string detail;  // what failed; never key material
};

// Header fields signed when present (RFC 6376 §5.4.1's list; Resent-* and List-* spelled out).
const std::vector<const char*>& signed_header_names();
// Signed once more than they occur, so none can be added later (RFC 6376 §5.4.2, §8.15).
const std::vector<const char*>& oversigned_header_names();

// The h= names for `msg`: every field of signed_header_names() present, top to bottom, as the
// message spells it, then each of oversigned_header_names() once more (present or not).
std::vector<std::string> header_names_to_sign(const core::Message& msg);

// Stateless: the keys carry everything parsed. sign() may be called from any thread
// concurrently, with the same key too.
class Signer {
 public:
  // The complete "DKIM-Signature: ...\r\n" field: tags v a c d s t bh h b, folded with CRLF and
  // a tab (a space inside h= and b=) before 78 columns, b= last.
  core::Expected<std::string, DkimError> sign(const core::Message& msg, const SigningKey& key,
                                              std::chrono::sys_seconds now) const;
  // The same with the relaxed body hash of msg given (one hash for every signature over it).
  core::Expected<std::string, DkimError> sign(const core::Message& msg, const SigningKey& key,
                                              std::chrono::sys_seconds now,
                                              const auth::BodyHash& body_hash) const;
  // One field per key, in key order (e.g. RSA then Ed25519); all or nothing. The body is hashed
  // once for all of them, or not at all when `body_hash` is given.
  core::Expected<std::vector<std::string>, DkimError> sign_all(
      const core::Message& msg, const std::vector<const SigningKey*>& keys,
      std::chrono::sys_seconds now, const auth::BodyHash* body_hash = nullptr) const;
};

}  // namespace hikyaku::dkim
