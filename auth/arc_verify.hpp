// ARC chain validation, RFC 8617 §5.2 (sets by instance, cv= of the newest seal, newest AMS,
// oldest-pass, every ARC-Seal over sets 1..i per §5.1.1), with DKIM key records (RFC 6376
// §3.6.1), RSA-SHA256 (RFC 8301: keys of 1024 bits and more) and Ed25519-SHA256 (RFC 8463).
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "core/message.hpp"

namespace hikyaku::auth {

struct ArcResult {
  enum class Cv { none, pass, fail };
  Cv cv = Cv::none;
  int instances = 0;    // N, the highest instance seen (0 when there is no ARC header)
  int oldest_pass = 0;  // RFC 8617 §5.2 step 5: 0 = every AMS validates; set only on pass
  std::string reason;   // why fail (empty on pass/none)
  // fail only: for want of a key whose DNS lookup failed temporarily (auth/arc_chain), so the
  // chain may validate on a later try. arc_verify itself never sets it.
  bool temporary = false;
};

// "selector._domainkey.domain" (lower-cased) -> the TXT record text, or nullopt when there is
// none. The DNS fetch is the caller's (dns/ in the relay, a table in tests).
using KeyLookup = std::function<std::optional<std::string>(const std::string& key_name)>;

ArcResult arc_verify(const core::Message& message, const KeyLookup& lookup);

// "none", "pass", "fail": the cv= / arc= result words.
const char* to_string(ArcResult::Cv cv);

}  // namespace hikyaku::auth
