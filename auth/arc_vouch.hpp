// Trusted ARC sealers (RFC 8617 §7.2.1 "local policy"): when the incoming chain validates, the
// oldest ARC set sealed by a domain we trust may vouch, through its ARC-Authentication-Results
// (RFC 8617 §4.1.1, RFC 8601 §2.2 resinfo syntax), that the message passed DMARC upstream.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/arc_verify.hpp"
#include "core/message.hpp"

namespace hikyaku::auth {

struct ArcVouch {
  int instance = 0;      // i= of the vouching set
  std::string sealer;    // d= of its ARC-Seal, lower-case
};

// The oldest (lowest i=) ARC set whose ARC-Seal d= is in `trusted` (lower-case domains), when its
// ARC-Authentication-Results says dmarc=pass. Only when `chain` validated (cv=pass): a broken
// chain vouches for nothing.
std::optional<ArcVouch> trusted_dmarc_pass(const core::Message& message, const ArcResult& chain,
                                           const std::vector<std::string>& trusted);

// The result word of `method` in an Authentication-Results or ARC-Authentication-Results value
// (after the authserv-id, RFC 8601 §2.2): "pass" for "...; dmarc=pass (p=none) header.from=x".
// Comments are skipped; nullopt when the method is absent.
std::optional<std::string> method_result(std::string_view results_value, std::string_view method);

}  // namespace hikyaku::auth
