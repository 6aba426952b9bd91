// The enforcement decision over finished results: RFC 9989 §5.3.1 (one Author Domain), §5.3.6
// (the policy, t=y already applied by the evaluator), §5.4 (local policy overrides, here the
// trusted ARC sealer of RFC 8617 §7.2.1), §7.2 (reject in the SMTP session with 5.7.1).
#include "auth/enforcement.hpp"

#include <fmt/format.h>

namespace hikyaku::auth {

namespace {

Enforcement accept(std::string note) { return {Enforcement::Action::accept, {}, std::move(note)}; }

}  // namespace

Enforcement decide(const AuthResults& results, const EnforcementPolicy& policy,
                   const std::optional<ArcVouch>& vouch) {
  // RFC 5322 §3.6 allows exactly one From field; RFC 9989 §5.3.1: without a single Author Domain
  // DMARC validation is not possible, and such messages are a known way around it (§11.5).
  // Refused always.
  if (!results.from_problem.empty()) {
    return {Enforcement::Action::refuse,
            core::SmtpReply::make(550, "5.7.1", "Error: message refused: " + results.from_problem +
                                                    " (RFC 5322 §3.6, RFC 9989 §5.3.1)"),
            "from: " + results.from_problem};
  }
  const DmarcOutcome& dmarc = results.dmarc;
  const std::string domain = dmarc.from_domain;
  if (dmarc.result == DmarcResult::temperror) {
    if (!policy.enforce) return accept("dmarc=temperror: not enforced");
    // With the record known, only a policy that could refuse the message is worth a retry.
    const bool could_refuse = dmarc.record_domain.empty() || dmarc.policy == DmarcPolicy::reject ||
                              (dmarc.policy == DmarcPolicy::quarantine && policy.reject_quarantine);
    if (!could_refuse) return accept(fmt::format("dmarc=temperror p={}: forwarded", to_string(dmarc.policy)));
    return {Enforcement::Action::defer,
            core::SmtpReply::make(451, "4.7.5",
                                  fmt::format("Error: DMARC policy of {} could not be retrieved, try again later",
                                              domain)),
            "dmarc=temperror: deferred"};
  }
  if (dmarc.result != DmarcResult::fail) return accept("");
  const bool refusing = dmarc.disposition == DmarcPolicy::reject ||
                        (dmarc.disposition == DmarcPolicy::quarantine && policy.reject_quarantine);
  const std::string what = fmt::format("dmarc=fail p={}{}", to_string(dmarc.policy),
                                       dmarc.testing ? " (t=y testing)" : "");
  if (!refusing) {
    return accept(fmt::format("{}: disposition {}, forwarded", what, to_string(dmarc.disposition)));
  }
  if (!policy.enforce) return accept(what + ": not enforced");
  if (vouch) {
    return accept(fmt::format("{}: overridden by trusted ARC sealer {} (i={})", what, vouch->sealer,
                              vouch->instance));
  }
  if (policy.trusted_sealers && results.arc.cv == ArcResult::Cv::fail && results.arc.temporary) {
    return {Enforcement::Action::defer,
            core::SmtpReply::make(451, "4.7.5",
                                  "Error: the ARC chain could not be verified (key lookup failed "
                                  "temporarily), try again later"),
            what + ": ARC chain unverified (" + results.arc.reason + "): deferred"};
  }
  return {Enforcement::Action::refuse,
          core::SmtpReply::make(
              550, "5.7.1",
              fmt::format("Error: message refused: {} fails DMARC and its policy is p={} (RFC 9989)",
                          domain, to_string(dmarc.disposition))),
          what + ": refused"};
}

}  // namespace hikyaku::auth
