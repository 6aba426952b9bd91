// The evaluation record of one message, from what the end of DATA decided (RFC 9990 "Aggregate
// Reports": the policy discovered and applied, the disposition, the SPF and DKIM identifiers and
// results, their DMARC alignment, the sending and receiving domains; "Policy Override Reason"
// when the disposition is not the published policy). Pure.
#pragma once
#include <optional>

#include "auth/arc_vouch.hpp"
#include "auth/enforcement.hpp"
#include "auth/results.hpp"
#include "core/envelope.hpp"
#include "dmarc_reports/evaluation_record.hpp"

namespace hikyaku::dmarc_reports {

// nullopt when the message is not reported: no single Author Domain, a DMARC result other than
// pass or fail (none: no policy applies; temperror/permerror: no policy_evaluated word, and a
// deferred message is counted when it comes back), a record without rua=, or a deferral.
std::optional<EvaluationRecord> evaluation_record(const core::Envelope& env, const auth::AuthResults& results,
                                                  const auth::Enforcement& decision,
                                                  const auth::EnforcementPolicy& policy,
                                                  const std::optional<auth::ArcVouch>& vouch);

}  // namespace hikyaku::dmarc_reports
