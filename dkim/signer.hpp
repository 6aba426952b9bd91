// DKIM signing over libopendkim: relaxed/relaxed, the RFC 6376 §5.4.1 header list with the
// key identity fields over-signed (§5.4.2, §8.15), t= from the caller's clock (§3.5), Ed25519
// (RFC 8463) and RSA (RFC 8301). Produces the DKIM-Signature field to prepend (§5.6).
#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/message.hpp"
#include "dkim/key_store.hpp"

struct dkim_lib;  // DKIM_LIB from <dkim.h>, kept out of this header

namespace hikyaku::dkim {

struct DkimError {
  std::string detail;  // libopendkim's status and message; never key material
};

// Header fields signed when present (RFC 6376 §5.4.1's list; Resent-* and List-* spelled out).
const std::vector<const char*>& signed_header_names();
// Signed once more than they occur, so none can be added later (RFC 6376 §5.4.2, §8.15).
const std::vector<const char*>& oversigned_header_names();

// One shared DKIM_LIB, set up once in the constructor (throws std::runtime_error if the library
// cannot start: a start-up error). sign() may be called from any thread concurrently.
class Signer {
 public:
  Signer();
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  // The complete "DKIM-Signature: ...\r\n" field (folded by libopendkim, CRLF line ends).
  core::Expected<std::string, DkimError> sign(const core::Message& msg, const SigningKey& key,
                                              std::chrono::sys_seconds now) const;
  // One field per key, in key order (e.g. RSA then Ed25519); all or nothing.
  core::Expected<std::vector<std::string>, DkimError> sign_all(
      const core::Message& msg, const std::vector<const SigningKey*>& keys,
      std::chrono::sys_seconds now) const;

 private:
  struct LibClose {
    void operator()(dkim_lib* lib) const;
  };
  std::unique_ptr<dkim_lib, LibClose> lib_;
  // libopendkim takes t= only from the lib-wide DKIM_OPTS_FIXEDTIME, read in dkim_eoh(); the
  // option write and the header phase run under this lock, the body hashing outside it.
  mutable std::mutex time_mutex_;
};

}  // namespace hikyaku::dkim
