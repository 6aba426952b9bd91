// The authentication step of the pipeline (DESIGN §1 step 4): which enforcement applies to a
// message for several of our domains (the strictest, since DATA has one reply, RFC 5321
// §4.1.1.4), and the one log line with every verdict.
#pragma once
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

// "<txid>: auth spf=pass (smtp.mailfrom=a@b.example) helo=none dkim=pass (d=b.example s=s1)
//  arc=none dmarc=pass (from=b.example p=reject); <note>"
void log_auth(const core::Envelope& env, const auth::AuthResults& results, const auth::Enforcement& decision);

}  // namespace hikyaku::app
