// The body hash of a signature (RFC 6376 §3.7 bh=, §3.4.4 relaxed body, SHA-256 per RFC 8301
// and RFC 8463), computed once per body and shared by every signature over it: our DKIM
// signatures and the ARC-Message-Signature (RFC 8617 §4.1.2).
#pragma once
#include <string>
#include <string_view>

#include "auth/dkim_canon.hpp"

namespace hikyaku::auth {

struct BodyHash {
  Canon canon = Canon::relaxed;
  std::string digest;  // the raw SHA-256 of the canonical body (no l=)
  std::string base64() const;  // the bh= value
};

// Streams the canonical body into SHA-256 without building it in memory.
BodyHash body_hash(Canon c, std::string_view body);

}  // namespace hikyaku::auth
