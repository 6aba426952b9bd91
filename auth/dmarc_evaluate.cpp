// The DMARC decision of RFC 9989 §5.3: Identifier Alignment (§4.4.1 DKIM, §4.4.2 SPF) with
// Organizational Domains from the DNS Tree Walk (§4.10.2), the policy discovered (§4.10.1),
// t=y (§4.7: the policy one level below), result words (§9.2), temperror when a needed DNS
// answer is missing (§5.3.6).
#include "auth/dmarc_evaluate.hpp"

#include <algorithm>
#include <memory>
#include <set>

namespace hikyaku::auth {

DmarcPolicy milder(DmarcPolicy p) {
  switch (p) {
    case DmarcPolicy::reject: return DmarcPolicy::quarantine;
    case DmarcPolicy::quarantine: return DmarcPolicy::none;
    case DmarcPolicy::none: return DmarcPolicy::none;
  }
  return DmarcPolicy::none;
}

std::string_view spf_domain(const SpfOutcome& o) {
  if (!o.domain.empty()) return o.domain;
  const size_t at = o.identity.rfind('@');
  return at == std::string::npos ? std::string_view(o.identity)
                                 : std::string_view(o.identity).substr(at + 1);
}

namespace {

// The identifiers whose check passed or failed temporarily (only they can align, §4.10.2).
bool counts(SpfResult r) { return r == SpfResult::pass || r == SpfResult::temperror; }
bool counts(DkimResult r) { return r == DkimResult::pass || r == DkimResult::temperror; }

void add_author_org(OrgDomains& orgs, std::string_view from_domain, const DmarcRecordLookup& lookup) {
  const std::string author = normalise_domain(from_domain);
  if (!author.empty() && orgs.find(author) == orgs.end()) orgs[author] = organizational_domain(lookup.walk);
}

}  // namespace

DmarcOutcome decide_dmarc(std::string_view from_domain, const DmarcRecordLookup& lookup, const SpfVerdict& spf,
                          const DkimVerdict& dkim, OrgDomains orgs) {
  DmarcOutcome out;
  out.from_domain = std::string(from_domain);
  if (lookup.status == DmarcRecordLookup::Status::temperror) {
    out.result = DmarcResult::temperror;
    out.reason = lookup.detail;
    return out;
  }
  if (lookup.status == DmarcRecordLookup::Status::none) {
    out.result = DmarcResult::none;  // §5.3.2: the DMARC mechanism does not apply
    out.reason = lookup.detail;
    return out;
  }
  if (!lookup.record) {  // a found lookup without a record is a caller's mistake
    out.result = DmarcResult::permerror;
    out.reason = "no parsed record";
    return out;
  }
  const DmarcRecord& rec = *lookup.record;
  out.record_domain = lookup.record_domain;
  out.policy_source = lookup.source;
  out.policy = lookup.policy;
  out.policy_tag = lookup.policy_tag;
  out.testing = rec.testing;
  out.notes = rec.notes;
  out.record = std::make_shared<const DmarcRecord>(rec);
  add_author_org(orgs, from_domain, lookup);
  if (const auto it = orgs.find(normalise_domain(from_domain)); it != orgs.end() && it->second) {
    out.org_domain = *it->second;
  }

  // §4.4.2: SPF pass for the MAIL FROM identity with an aligned domain.
  const Alignment spf_alignment = identifier_alignment(from_domain, spf_domain(spf.mail_from), rec.aspf, orgs);
  out.spf_aligned = spf.mail_from.result == SpfResult::pass && spf_alignment == Alignment::aligned;
  // §4.4.1: any DKIM pass with an aligned d=.
  out.dkim_aligned = std::any_of(dkim.begin(), dkim.end(), [&](const DkimSignatureOutcome& s) {
    return s.result == DkimResult::pass &&
           identifier_alignment(from_domain, s.domain, rec.adkim, orgs) == Alignment::aligned;
  });
  if (out.spf_aligned || out.dkim_aligned) {
    out.result = DmarcResult::pass;  // §5.3.5
    out.disposition = DmarcPolicy::none;
    return out;
  }
  // §5.3.6: an identifier that might align (its check failed temporarily, or its alignment is
  // not known because a walk failed) could have made this a pass: temperror, so the sender
  // retries instead of having mail refused for a DNS or SPF-helper hiccup.
  const bool spf_unknown =
      counts(spf.mail_from.result) &&
      (spf_alignment == Alignment::unknown ||
       (spf.mail_from.result == SpfResult::temperror && spf_alignment == Alignment::aligned));
  const bool dkim_unknown = std::any_of(dkim.begin(), dkim.end(), [&](const DkimSignatureOutcome& s) {
    if (!counts(s.result)) return false;
    const Alignment a = identifier_alignment(from_domain, s.domain, rec.adkim, orgs);
    return a == Alignment::unknown || (s.result == DkimResult::temperror && a == Alignment::aligned);
  });
  if (spf_unknown || dkim_unknown) {
    out.result = DmarcResult::temperror;
    out.reason = spf_unknown ? "SPF alignment for the MAIL FROM domain could not be decided (temporary failure)"
                             : "DKIM alignment for a signature could not be decided (temporary failure)";
    return out;
  }
  out.result = DmarcResult::fail;
  out.reason = "no aligned identifier";
  // §4.7 "t": with t=y the policy applied to failing messages is one level below.
  out.disposition = rec.testing ? milder(out.policy) : out.policy;
  return out;
}

asio::awaitable<DmarcOutcome> evaluate_dmarc(dns::Resolver& resolver, std::string from_domain,
                                             const DmarcRecordLookup& lookup, const SpfVerdict& spf,
                                             const DkimVerdict& dkim, std::chrono::steady_clock::time_point deadline) {
  OrgDomains orgs;
  if (lookup.status == DmarcRecordLookup::Status::found && lookup.record) {
    add_author_org(orgs, from_domain, lookup);
    // The distinct identifiers whose relaxed alignment needs their own walk (§4.10.2).
    std::set<std::string> needed;
    if (counts(spf.mail_from.result)) {
      std::string d = org_domain_needed(from_domain, spf_domain(spf.mail_from), lookup.record->aspf, orgs);
      if (!d.empty()) needed.insert(std::move(d));
    }
    for (const auto& s : dkim) {
      if (!counts(s.result)) continue;
      std::string d = org_domain_needed(from_domain, s.domain, lookup.record->adkim, orgs);
      if (!d.empty()) needed.insert(std::move(d));
    }
    for (const auto& d : needed) {
      std::optional<std::string> org = co_await walk_organizational_domain(resolver, d, deadline);
      orgs[d] = std::move(org);
    }
  }
  co_return decide_dmarc(from_domain, lookup, spf, dkim, std::move(orgs));
}

}  // namespace hikyaku::auth
