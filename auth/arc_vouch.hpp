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
// ARC-Authentication-Results says dmarc=pass for `from_domain` (header.from). Only when `chain`
// validated (cv=pass) and that set's ARC-Message-Signature still validates (i >= oldest-pass,
// RFC 8617 §5.2 step 5): a set copied from another message vouches for nothing, because the
// ARC-Seal covers only ARC fields and the AMS is what ties the set to this message's content.
std::optional<ArcVouch> trusted_dmarc_pass(const core::Message& message, const ArcResult& chain,
                                           const std::vector<std::string>& trusted,
                                           std::string_view from_domain);

// The result word of `method` in an Authentication-Results or ARC-Authentication-Results value
// (after the authserv-id, RFC 8601 §2.2): "pass" for "...; dmarc=pass (p=none) header.from=x".
// Comments are skipped; nullopt when the method is absent.
std::optional<std::string> method_result(std::string_view results_value, std::string_view method);

// A property of that method's result ("header.from" -> "example.com"), lower-cased, quotes
// removed; nullopt when the method or the property is absent.
std::optional<std::string> method_property(std::string_view results_value, std::string_view method,
                                           std::string_view property);

}  // namespace hikyaku::auth
