// Mapping our DMARC verdict and enforcement onto RFC 9990's policy_evaluated: disposition
// (ActionDispositionType: "pass" for a pass under an enforcing policy), the aligned dkim/spf
// words, and the override reasons (t=y testing, RFC 9989 §4.7; a trusted ARC sealer, RFC 8617
// §7.2.1; local policy: enforcement off, or quarantine handled as reject). DKIM results in the
// order of "DKIM Signatures in Aggregate Reports".
#include "dmarc_reports/from_results.hpp"

#include <algorithm>

#include "auth/dmarc_evaluate.hpp"
#include "auth/dmarc_record.hpp"
#include "auth/dmarc_tree_walk.hpp"

namespace hikyaku::dmarc_reports {

namespace {

// 0: a pass in strict alignment with the Author Domain, 1: in relaxed alignment (at or below
// its Organizational Domain), 2: another pass, 3: not a pass.
int dkim_rank(const auth::DkimSignatureOutcome& s, const auth::DmarcOutcome& dmarc) {
  if (s.result != auth::DkimResult::pass) return 3;
  const std::string d = auth::normalise_domain(s.domain);
  if (d == auth::normalise_domain(dmarc.from_domain)) return 0;
  if (!dmarc.org_domain.empty() && auth::is_at_or_below(d, dmarc.org_domain)) return 1;
  return 2;
}

}  // namespace

std::optional<EvaluationRecord> evaluation_record(const core::Envelope& env, const auth::AuthResults& results,
                                                  const auth::Enforcement& decision,
                                                  const auth::EnforcementPolicy& policy,
                                                  const std::optional<auth::ArcVouch>& vouch) {
  const auth::DmarcOutcome& dmarc = results.dmarc;
  if (!results.from_problem.empty()) return std::nullopt;
  if (dmarc.result != auth::DmarcResult::pass && dmarc.result != auth::DmarcResult::fail) return std::nullopt;
  if (!dmarc.record || dmarc.record->rua.empty() || dmarc.record_domain.empty()) return std::nullopt;
  if (decision.action == auth::Enforcement::Action::defer) return std::nullopt;
  const auth::DmarcRecord& rec = *dmarc.record;

  EvaluationRecord r;
  r.header_from = dmarc.from_domain;
  r.policy_domain = dmarc.record_domain;
  r.source_ip = env.session.client_ip;
  r.envelope_from = env.mail_from.is_null() ? std::string() : env.mail_from.domain;
  if (!env.recipients.empty()) r.envelope_to = env.recipients.front().domain;

  std::vector<const auth::DkimSignatureOutcome*> sigs;
  for (const auto& s : results.dkim) sigs.push_back(&s);
  std::stable_sort(sigs.begin(), sigs.end(), [&dmarc](const auto* a, const auto* b) {
    return dkim_rank(*a, dmarc) < dkim_rank(*b, dmarc);
  });
  for (const auto* s : sigs) {
    if (r.dkim.size() == kMaxDkimPerRow) break;
    r.dkim.push_back({s->domain, s->selector, auth::to_string(s->result)});
  }
  // RFC 9990: "Only the MAIL FROM identity is used in DMARC" (for the null sender that is
  // postmaster@HELO, RFC 7208 §2.4, still the MAIL FROM identity).
  r.spf = {std::string(auth::spf_domain(results.spf.mail_from)), "mfrom",
           auth::to_string(results.spf.mail_from.result)};
  r.dkim_aligned = dmarc.dkim_aligned;
  r.spf_aligned = dmarc.spf_aligned;

  if (dmarc.result == auth::DmarcResult::pass) {
    r.disposition = dmarc.policy == auth::DmarcPolicy::none ? Disposition::none : Disposition::pass;
  } else if (decision.action == auth::Enforcement::Action::refuse) {
    r.disposition = Disposition::reject;
    if (dmarc.disposition != auth::DmarcPolicy::reject) {
      r.reasons.push_back({OverrideType::local_policy, "quarantine handled as reject"});
    }
  } else if (dmarc.disposition == auth::DmarcPolicy::reject) {
    // Accepted although the record asks for reject: the ARC override, or enforcement off.
    r.disposition = Disposition::none;
    if (vouch) {
      r.reasons.push_back({OverrideType::trusted_forwarder, "ARC sealer " + vouch->sealer});
    } else {
      r.reasons.push_back({OverrideType::local_policy, policy.enforce ? "" : "not enforced"});
    }
  } else {
    r.disposition = dmarc.disposition == auth::DmarcPolicy::quarantine ? Disposition::quarantine : Disposition::none;
  }
  if (dmarc.result == auth::DmarcResult::fail && rec.testing && dmarc.policy != auth::DmarcPolicy::none) {
    r.reasons.push_back({OverrideType::policy_test_mode, "t=y"});
  }

  r.policy.p = auth::to_string(rec.p);
  r.policy.sp = rec.sp ? auth::to_string(*rec.sp) : "";
  r.policy.np = rec.np ? auth::to_string(*rec.np) : "";
  r.policy.adkim = auth::to_string(rec.adkim);
  r.policy.aspf = auth::to_string(rec.aspf);
  r.policy.testing = rec.testing;
  r.policy.psd = auth::to_string(rec.psd);
  r.policy.fo = rec.fo;
  r.rua = rec.rua;
  return r;
}

}  // namespace hikyaku::dmarc_reports
