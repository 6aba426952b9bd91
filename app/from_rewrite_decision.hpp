// Whether to rewrite a forwarded message's RFC5322.From (DMARC mitigation, RFC 7960 §3.2.3):
// where, and only where, the destination would apply the author's quarantine or reject policy
// (RFC 9989 §4.7, t=y one level below) because no aligned author DKIM signature survives to
// carry DMARC (SPF, checked against our address after forwarding, cannot). Pure; a table.
#pragma once
#include <string_view>

#include "auth/results.hpp"
#include "config/config.hpp"

namespace hikyaku::app {

// What the From field and its author address allow (app/from_rewrite.hpp, srs/reply_address).
enum class AuthorHeader {
  rewritable,       // one From field holding one mailbox whose address encodes
  multiple_from,    // several From fields (RFC 5322 §3.6 allows one), or none
  multiple_authors, // several mailboxes in the field (then Sender would be required: §3.6.2)
  group,            // group syntax ("list: a@b;"): no single address to reply to
  bad_syntax,       // not an RFC 5322 §3.4 mailbox
  too_long,         // the author's address does not fit a 64-octet reply local part
  unencodable,      // a quoted or UTF-8 local part, an address literal
};

struct FromRewriteFacts {
  config::FromRewriteMode mode = config::FromRewriteMode::when_needed;
  const auth::DmarcOutcome* dmarc = nullptr;  // our verdict over the message as received
  AuthorHeader header = AuthorHeader::rewritable;
  // A reply domain is configured ([from_rewrite] domain, [srs] secrets) and one of our DKIM
  // keys signs for it (same domain or a parent: relaxed alignment, RFC 9989 §4.4.1).
  bool has_signing_key = false;
  // An aligned author DKIM pass (dmarc->dkim_aligned) still verifies over the message as we
  // send it: no such signature over-signs (RFC 6376 §5.4.2) a field name we prepend.
  bool dkim_survives = true;
};

struct FromRewriteDecision {
  bool rewrite = false;
  // One word for logs, Authentication-Results and `hikyaku auth`:
  //   rewrite: "always", "spf-only-aligned", "dkim-breaks"
  //   keep:    "never", "dkim-aligned", "policy-none", "policy-testing", "no-policy",
  //            "dmarc-fail", "dmarc-error", "no-signing-key", "multiple-from",
  //            "multiple-authors", "group", "from-syntax", "address-too-long",
  //            "address-unencodable"
  std::string_view reason;
};

// The rows, first match wins:
//  1. mode never                                   keep    never
//  2. the header is not rewritable                 keep    multiple-from, group, ...
//  3. no key signs for the reply domain            keep    no-signing-key
//  4. mode always                                  rewrite always
//  5. an aligned DKIM pass that survives what we   keep    dkim-aligned
//     prepend (carries DMARC downstream)
//  6. DMARC temperror/permerror                    keep    dmarc-error (the policy is unknown)
//  7. no DMARC record                              keep    no-policy
//  8. p=none, or t=y lowering quarantine to none   keep    policy-none / policy-testing
//  9. DMARC fail here (unauthenticated, accepted     keep    dmarc-fail: our signature must not
//     by local policy)                                      lend it the DMARC pass it lacks
// 10. pass by aligned SPF alone                    rewrite spf-only-aligned
//     or by an aligned DKIM signature our fields     rewrite dkim-breaks
//     would break
FromRewriteDecision decide_from_rewrite(const FromRewriteFacts& facts);

// Of several recipients' modes, the one that rewrites least: one message goes to all of them,
// and a recipient whose operator chose "never" must not get an altered From.
config::FromRewriteMode combine_modes(config::FromRewriteMode a, config::FromRewriteMode b);

}  // namespace hikyaku::app
