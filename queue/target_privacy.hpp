// Keeping a private forwarding target out of what goes back to the sender (DSNs, RFC 3464
// §2.3.2 Final-Recipient "as known to the reporting MTA", and in-session replies relaying an
// upstream error, RFC 5321 §4.2). The sender learns the address it used, never where we forward.
#pragma once
#include <string>
#include <string_view>

namespace hikyaku::queue {

// Shown instead of a target when the address the sender used is not known (older spool files).
inline constexpr std::string_view kConcealedTarget = "forwarding target";

// `text` with every occurrence of `target` (ASCII letters compared case-insensitively: upstreams
// echo addresses in any case) replaced by `shown`. An empty target leaves the text as it is.
std::string conceal_target(std::string_view text, std::string_view target, std::string_view shown);

}  // namespace hikyaku::queue
