// DKIM verification over libopendkim (RFC 6376 §6 verifier actions; RFC 8463 Ed25519-SHA256;
// RFC 8301 §3.1 no rsa-sha1, §3.2 RSA keys of 1024 bits and more), one result per
// DKIM-Signature in the words of RFC 8601 §2.7.1. Keys come pre-fetched (dkim_key_fetch.hpp):
// the library never does DNS.
#pragma once
#include <cstdint>
#include <memory>

#include "auth/dkim_signatures.hpp"
#include "auth/results.hpp"
#include "core/message.hpp"

struct dkim_lib;  // DKIM_LIB from <dkim.h>, kept out of this header

namespace hikyaku::auth {

// Result mapping (RFC 8601 §2.7.1, RFC 6376 §6.1 PERMFAIL/TEMPFAIL):
//   pass       signature and body hash verify with the published key
//   fail       signature or body hash does not verify; a=rsa-sha1 (RFC 8301 §3.1); an RSA key
//              under 1024 bits (RFC 8301 §3.2)
//   permerror  unusable signature or key (RFC 6376 PERMFAIL): tag syntax, v=, unsupported a=,
//              q= without dns/txt, i= outside d=, x= passed or t= in the future, no key record
//              (NXDOMAIN/NODATA), revoked key (empty p=), key syntax, key type/hash mismatch
//   temperror  the key record lookup failed temporarily (SERVFAIL, timeout)
//   policy     not checked: a signature beyond the first kMaxDkimSignatures
class DkimVerifier {
 public:
  // One DKIM_LIB for the process, every option set here (throws std::runtime_error if
  // libopendkim cannot start: a start-up error).
  DkimVerifier();
  ~DkimVerifier();
  DkimVerifier(const DkimVerifier&) = delete;
  DkimVerifier& operator=(const DkimVerifier&) = delete;

  // One outcome per DKIM-Signature field, in header order; empty when there is none. `keys` is
  // fetch_dkim_keys() (dkim_key_fetch.hpp) of the same message (a key name missing from it is a temperror).
  // `now_unix` decides x= expiry and t= in the future. Synchronous (runs on a worker thread);
  // safe to call from several threads at once.
  DkimVerdict verify(const core::Message& message, const DkimKeyRecords& keys,
                     int64_t now_unix) const;

 private:
  struct LibClose {
    void operator()(dkim_lib* lib) const;
  };
  std::unique_ptr<dkim_lib, LibClose> lib_;
};

// Allowed clock skew for a t= in the future (RFC 6376 §3.5 t=: verifiers MAY ignore such).
inline constexpr int64_t kDkimClockDrift = 300;

}  // namespace hikyaku::auth
