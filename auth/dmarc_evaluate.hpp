// The DMARC decision, RFC 7489 §6.6.2 (aligned SPF or DKIM pass), §6.6.3 (the record found),
// §6.6.4 (p=/sp=, pct= sampling), §6.6.1 and §11.2 (result words). Pure: DNS results, the
// SPF/DKIM verdicts and the pct roll are arguments.
#pragma once
#include <string_view>

#include "auth/dmarc_lookup.hpp"
#include "auth/org_domain.hpp"
#include "auth/results.hpp"

namespace hikyaku::auth {

// `from_domain`: from_domain()'s result. `spf`: only spf.mail_from counts (RFC 7489 §4.2, the
// RFC5321.MailFrom identity; for the null sender that is postmaster@HELO, RFC 7208 §2.4).
// `pct_roll`: a uniform value in [0, 100); the message is sampled in when pct_roll < pct
// (values outside are clamped). The policy is `sp` when the record came from the
// organizational domain, the From domain is not that domain and sp= is present; else `p`.
DmarcOutcome evaluate_dmarc(std::string_view from_domain, const DmarcRecordLookup& lookup,
                            const SpfVerdict& spf, const DkimVerdict& dkim, int pct_roll,
                            const PublicSuffixList& psl = PublicSuffixList::system());

// RFC 7489 §6.6.4: reject -> quarantine -> none.
DmarcPolicy milder(DmarcPolicy p);

}  // namespace hikyaku::auth
