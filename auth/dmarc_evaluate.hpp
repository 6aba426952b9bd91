// The DMARC decision, RFC 9989 §5.3.3-§5.3.6: an aligned SPF or DKIM pass (§4.4, alignment per
// §4.10.2), the policy discovered (§4.10.1), t=y testing mode (§4.7 "t": one level below), the
// result words (§9.2). decide_dmarc() is pure; evaluate_dmarc() first walks the DNS tree for
// the Organizational Domains that relaxed alignment needs.
#pragma once
#include <chrono>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "auth/dmarc_lookup.hpp"
#include "auth/org_domain.hpp"
#include "auth/results.hpp"

namespace hikyaku::auth {

// `from_domain`: from_domain()'s result. `spf`: only spf.mail_from counts (RFC 9989 §4.4.2, the
// MAIL FROM identity; for the null sender that is postmaster@HELO, RFC 7208 §2.4). `orgs`: the
// Organizational Domains known (the Author Domain's from lookup.walk is added here). An
// identifier whose alignment is unknown (its walk failed) and whose check passed or failed
// temporarily makes the result temperror unless another identifier aligns (§5.3.6).
DmarcOutcome decide_dmarc(std::string_view from_domain, const DmarcRecordLookup& lookup, const SpfVerdict& spf,
                          const DkimVerdict& dkim, OrgDomains orgs = {});

// decide_dmarc() after the Tree Walks (§4.10.2) for the passed (or temporarily failed) SPF and
// DKIM identifiers that relaxed alignment needs; a walk due after `deadline` is not made.
asio::awaitable<DmarcOutcome> evaluate_dmarc(
    dns::Resolver& resolver, std::string from_domain, const DmarcRecordLookup& lookup, const SpfVerdict& spf,
    const DkimVerdict& dkim,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

// RFC 9989 §4.7 "t": reject -> quarantine -> none.
DmarcPolicy milder(DmarcPolicy p);

// The domain SPF checked for MAIL FROM: `domain`, or the part after the last "@" of identity.
std::string_view spf_domain(const SpfOutcome& o);

}  // namespace hikyaku::auth
