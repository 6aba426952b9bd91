// Enforcement settings per message and the auth log line (DESIGN §4: auth verdicts greppable
// like Postfix's), RFC 9989 §5.4 (local policy; the policy domain, t=y and ignored tags logged),
// RFC 8601 result words.
#include "app/auth_stage.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hikyaku::app {

auth::EnforcementPolicy enforcement_policy(const config::AuthConfig& auth, const routing::Router& router,
                                           const core::Envelope& env) {
  auth::EnforcementPolicy out{false, false};
  auto apply = [&out](bool enforce, config::QuarantineAction quarantine) {
    out.enforce = out.enforce || enforce;
    out.reject_quarantine = out.reject_quarantine || quarantine == config::QuarantineAction::reject;
  };
  bool any = false;
  for (const auto& rcpt : env.recipients) {
    const auto policy = router.domain_policy(rcpt.domain);
    if (!policy) continue;  // an SRS bounce address: [auth] applies
    any = true;
    apply(policy->dmarc_enforce.value_or(auth.dmarc_enforce), policy->quarantine.value_or(auth.quarantine));
  }
  if (!any) apply(auth.dmarc_enforce, auth.quarantine);
  out.trusted_sealers = !auth.trusted_arc_sealers.empty();
  return out;
}

std::string log_safe(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '\r' || c == '\n') {
      size_t j = i;
      while (j < value.size() && (value[j] == '\r' || value[j] == '\n')) ++j;
      if (j < value.size() && (value[j] == ' ' || value[j] == '\t')) {
        i = j - 1;  // folding: the white space after it stays
        continue;
      }
      out += '?';
    } else if (c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void log_auth(const core::Envelope& env, const auth::AuthResults& results, const auth::Enforcement& decision) {
  // Every value below but the result words may come from the message, the envelope or DNS.
  if (!results.from_problem.empty()) {
    spdlog::info("{}: auth from=invalid ({}); {}", env.transaction_id, log_safe(results.from_problem),
                 log_safe(decision.note));
    return;
  }
  std::string dkim;
  for (const auto& s : results.dkim) {
    dkim += fmt::format(" dkim={} (d={} s={}{})", auth::to_string(s.result), log_safe(s.domain),
                        log_safe(s.selector), s.reason.empty() ? "" : ": " + log_safe(s.reason));
  }
  if (dkim.empty()) dkim = " dkim=none";
  const auto& spf = results.spf;
  const auto& dmarc = results.dmarc;
  // RFC 9989: the policy domain the Tree Walk found (§4.10.1), t=y (§4.7), and what the record
  // parser ignored (pct=, discarded tags; §4.8, Appendix A.6).
  std::string dmarc_extra;
  if (!dmarc.record_domain.empty()) dmarc_extra += " policy_domain=" + log_safe(dmarc.record_domain);
  if (dmarc.testing) dmarc_extra += " t=y";
  for (const auto& n : dmarc.notes) dmarc_extra += "; " + log_safe(n);
  spdlog::info("{}: auth spf={} (smtp.mailfrom={}{}) helo={}{} arc={} dmarc={} (from={} p={}{}{}){}{}",
               env.transaction_id, auth::to_string(spf.mail_from.result), log_safe(spf.mail_from.identity),
               spf.mail_from.reason.empty() ? "" : ": " + log_safe(spf.mail_from.reason),
               auth::to_string(spf.helo.result), dkim, auth::to_string(results.arc.cv),
               auth::to_string(dmarc.result), log_safe(dmarc.from_domain), auth::to_string(dmarc.policy), dmarc_extra,
               dmarc.reason.empty() ? "" : ": " + log_safe(dmarc.reason), decision.note.empty() ? "" : "; ",
               log_safe(decision.note));
}

}  // namespace hikyaku::app
