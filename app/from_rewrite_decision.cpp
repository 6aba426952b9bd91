// The From rewrite decision table (RFC 7960 §3.2.3 mitigation; RFC 9989 §4.7 p/sp/np and t,
// §4.4 alignment). Every row of the table in the header, in order.
#include "app/from_rewrite_decision.hpp"

namespace hikyaku::app {

namespace {

std::string_view header_reason(AuthorHeader h) {
  switch (h) {
    case AuthorHeader::rewritable: return "";
    case AuthorHeader::multiple_from: return "multiple-from";
    case AuthorHeader::multiple_authors: return "multiple-authors";
    case AuthorHeader::group: return "group";
    case AuthorHeader::bad_syntax: return "from-syntax";
    case AuthorHeader::too_long: return "address-too-long";
    case AuthorHeader::unencodable: return "address-unencodable";
  }
  return "from-syntax";
}

int rank(config::FromRewriteMode m) {
  switch (m) {
    case config::FromRewriteMode::never: return 0;
    case config::FromRewriteMode::when_needed: return 1;
    case config::FromRewriteMode::always: return 2;
  }
  return 1;
}

}  // namespace

FromRewriteDecision decide_from_rewrite(const FromRewriteFacts& f) {
  using auth::DmarcPolicy;
  using auth::DmarcResult;
  if (f.mode == config::FromRewriteMode::never) return {false, "never"};
  if (f.header != AuthorHeader::rewritable) return {false, header_reason(f.header)};
  if (!f.has_signing_key) return {false, "no-signing-key"};
  if (f.mode == config::FromRewriteMode::always) return {true, "always"};
  if (f.dmarc == nullptr) return {false, "dmarc-error"};
  const auth::DmarcOutcome& d = *f.dmarc;
  if (d.dkim_aligned && f.dkim_survives) return {false, "dkim-aligned"};
  if (d.result == DmarcResult::temperror || d.result == DmarcResult::permerror) return {false, "dmarc-error"};
  if (d.result == DmarcResult::none) return {false, "no-policy"};
  // RFC 9989 §4.7 "t": t=y asks receivers to apply the policy one level below.
  DmarcPolicy applied = d.policy;
  if (d.testing) applied = applied == DmarcPolicy::reject ? DmarcPolicy::quarantine : DmarcPolicy::none;
  if (applied == DmarcPolicy::none) return {false, d.policy != DmarcPolicy::none ? "policy-testing" : "policy-none"};
  if (d.result != DmarcResult::pass) return {false, "dmarc-fail"};
  return {true, d.dkim_aligned ? "dkim-breaks" : "spf-only-aligned"};
}

config::FromRewriteMode combine_modes(config::FromRewriteMode a, config::FromRewriteMode b) {
  return rank(a) <= rank(b) ? a : b;
}

}  // namespace hikyaku::app
