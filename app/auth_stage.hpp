// The authentication step of the pipeline (DESIGN §1 step 4): which enforcement applies to a
// message for several of our domains (the strictest, since DATA has one reply, RFC 5321
// §4.1.1.4), and the one log line with every verdict, its message-borne values made safe
// (RFC 5322 §2.2.3 unfolding, no control characters).
#pragma once
#include <string>
#include <string_view>

#include "auth/enforcement.hpp"
#include "auth/results.hpp"
#include "config/config.hpp"
#include "core/envelope.hpp"
#include "routing/router.hpp"

namespace hikyaku::app {

// [auth] dmarc_enforce and quarantine, overridden per recipient domain ([[domain]]); when the
// recipients' domains disagree, enforcing and rejecting quarantine win.
auth::EnforcementPolicy enforcement_policy(const config::AuthConfig& auth, const routing::Router& router,
                                           const core::Envelope& env);

// `value` fit for one log line: a folding CRLF (or a bare CR/LF) before white space is removed
// (RFC 5322 §2.2.3), TAB becomes a space, and any other control character (CR, LF, ESC, DEL,
// ...) becomes '?', so a tag value such as d= cannot split or forge log lines.
std::string log_safe(std::string_view value);

// "<txid>: auth spf=pass (smtp.mailfrom=a@b.example) helo=none dkim=pass (d=b.example s=s1)
//  arc=none dmarc=pass (from=b.example p=reject); <note>"
void log_auth(const core::Envelope& env, const auth::AuthResults& results, const auth::Enforcement& decision);

}  // namespace hikyaku::app
