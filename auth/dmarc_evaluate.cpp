// The DMARC decision of RFC 7489 §6.6: alignment (§3.1.1 DKIM, §3.1.2 SPF) with libpsl
// organizational domains, the policy (§6.3 p/sp), pct sampling (§6.6.4), result words (§11.2).
#include "auth/dmarc_evaluate.hpp"

#include <algorithm>

namespace hikyaku::auth {

DmarcPolicy milder(DmarcPolicy p) {
  switch (p) {
    case DmarcPolicy::reject: return DmarcPolicy::quarantine;
    case DmarcPolicy::quarantine: return DmarcPolicy::none;
    case DmarcPolicy::none: return DmarcPolicy::none;
  }
  return DmarcPolicy::none;
}

namespace {

// The domain SPF checked for MAIL FROM: `domain`, or the part after the last "@" of identity.
std::string_view spf_domain(const SpfOutcome& o) {
  if (!o.domain.empty()) return o.domain;
  const size_t at = o.identity.rfind('@');
  return at == std::string::npos ? std::string_view(o.identity)
                                 : std::string_view(o.identity).substr(at + 1);
}

}  // namespace

DmarcOutcome evaluate_dmarc(std::string_view from_domain, const DmarcRecordLookup& lookup,
                            const SpfVerdict& spf, const DkimVerdict& dkim, int pct_roll,
                            const PublicSuffixList& psl) {
  DmarcOutcome out;
  out.from_domain = std::string(from_domain);
  switch (lookup.status) {
    case DmarcRecordLookup::Status::temperror:
      out.result = DmarcResult::temperror;
      out.reason = lookup.detail;
      return out;
    case DmarcRecordLookup::Status::none:
      out.result = DmarcResult::none;
      out.reason = lookup.detail;
      return out;
    case DmarcRecordLookup::Status::invalid:
      out.result = DmarcResult::permerror;
      out.record_domain = lookup.record_domain;
      out.reason = "record syntax: " + lookup.detail;
      return out;
    case DmarcRecordLookup::Status::found:
      break;
  }
  if (!lookup.record) {  // a found lookup without a record is a caller's mistake
    out.result = DmarcResult::permerror;
    out.reason = "no parsed record";
    return out;
  }
  const DmarcRecord& rec = *lookup.record;
  out.record_domain = lookup.record_domain;
  // §6.3 sp: "the policy to be applied to all subdomains" when found at the org domain.
  const bool subdomain = lookup.from_org_domain && from_domain != lookup.record_domain;
  out.policy = (subdomain && rec.sp) ? *rec.sp : rec.p;

  // §4.2 / §3.1.2: SPF pass for the MAIL FROM identity with an aligned domain.
  out.spf_aligned = spf.mail_from.result == SpfResult::pass &&
                    domains_aligned(from_domain, spf_domain(spf.mail_from), rec.aspf, psl);
  // §3.1.1: any DKIM pass with an aligned d=.
  out.dkim_aligned = std::any_of(dkim.begin(), dkim.end(), [&](const DkimSignatureOutcome& s) {
    return s.result == DkimResult::pass && domains_aligned(from_domain, s.domain, rec.adkim, psl);
  });
  if (out.spf_aligned || out.dkim_aligned) {
    out.result = DmarcResult::pass;
    out.disposition = DmarcPolicy::none;
    return out;
  }
  // An aligned identifier whose check failed temporarily might have passed: temperror, so the
  // sender retries instead of having mail refused for a DNS or SPF-helper hiccup (§11.2).
  const bool spf_unknown = spf.mail_from.result == SpfResult::temperror &&
                           domains_aligned(from_domain, spf_domain(spf.mail_from), rec.aspf, psl);
  const bool dkim_unknown = std::any_of(dkim.begin(), dkim.end(), [&](const DkimSignatureOutcome& s) {
    return s.result == DkimResult::temperror && domains_aligned(from_domain, s.domain, rec.adkim, psl);
  });
  if (spf_unknown || dkim_unknown) {
    out.result = DmarcResult::temperror;
    out.reason = spf_unknown ? "SPF temperror for an aligned MAIL FROM" : "DKIM temperror for an aligned signature";
    return out;
  }
  out.result = DmarcResult::fail;
  out.reason = "no aligned identifier";
  // §6.6.4: a message outside the pct sample gets the next milder policy.
  const int roll = std::clamp(pct_roll, 0, 99);
  out.sampled_out = rec.pct < 100 && roll >= rec.pct;
  out.disposition = out.sampled_out ? milder(out.policy) : out.policy;
  return out;
}

}  // namespace hikyaku::auth
