// ARC sealing, RFC 8617 §5.1: a new ARC set (§4.1.1 AAR, §4.1.2 AMS, §4.1.3 AS) for instance
// i = N + 1 (§4.2.1: at most 50), cv= from the incoming chain (§5.1.2: a chain already marked
// cv=fail is not sealed again), AS over sets 1..i (§5.1.1). Tags in the "standardized" order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "auth/arc_crypto.hpp"
#include "auth/body_hash.hpp"
#include "auth/arc_verify.hpp"
#include "core/expected.hpp"
#include "core/message.hpp"

namespace hikyaku::auth {

struct ArcSealParams {
  std::string domain;
  std::string selector;
  PrivateKey key;  // parsed once by the caller; its type must match alg
  SigAlgorithm alg = SigAlgorithm::rsa_sha256;
  std::string authserv_id;
  std::string auth_results;              // the A-R payload after the authserv-id ("spf=pass; ...")
  std::vector<std::string> ams_headers;  // h= of the AMS (never ARC-Seal)
  int64_t timestamp = 0;                 // t= of the AMS and AS
  const ArcResult* chain = nullptr;      // arc_verify on the message; may be null without ARC
  // The relaxed body hash of msg when the caller has it (shared with the DKIM signatures);
  // computed here when null.
  const BodyHash* body_hash = nullptr;
};

// "ARC-Seal: ...\r\nARC-Message-Signature: ...\r\nARC-Authentication-Results: ...\r\n", to be
// prepended to the message. Errors: "chain already failed", "too many ARC instances", bad
// parameters, key or signing failures.
core::Expected<std::string, std::string> arc_seal(const core::Message& msg, const ArcSealParams& p);

// The results of every Authentication-Results field whose authserv-id is `authserv_id`, in
// message order, joined with ";" (the ValiMail suite's "AR consolidation"); empty if none.
std::string consolidate_auth_results(const core::Message& msg, std::string_view authserv_id);

}  // namespace hikyaku::auth
