// What the relay does with a message after the checks (DESIGN §1 step 4): DMARC p=reject →
// 550 5.7.1 (RFC 9989 §5.3.6, §7.2 SMTP rejection; with t=y one level below, §4.7),
// p=quarantine per configuration, DMARC temperror → 451 4.7.5 when enforcing (§4.10.1 "fail
// closed"), an ARC chain that could not be checked for now with trusted sealers → 451 4.7.5
// instead of a refusal, no single From domain → 550 5.7.1 (RFC 9989 §5.3.1).
#pragma once
#include <optional>
#include <string>

#include "auth/arc_vouch.hpp"
#include "auth/results.hpp"
#include "core/smtp_reply.hpp"

namespace hikyaku::auth {

struct EnforcementPolicy {
  bool enforce = true;             // false: record the result, refuse nothing for DMARC
  bool reject_quarantine = false;  // p=quarantine handled like p=reject
  // Trusted ARC sealers are configured: a DMARC failure that would be refused is deferred
  // (451 4.7.5) instead when the chain failed only for a temporarily unavailable key, since a
  // trusted sealer in it might have vouched (RFC 8617 §7.2.1).
  bool trusted_sealers = false;
};

struct Enforcement {
  enum class Action { accept, refuse, defer };
  Action action = Action::accept;
  core::SmtpReply reply;   // the refusal or deferral (unset on accept)
  // For the log line: "dmarc=fail p=reject: refused", "... overridden by trusted ARC sealer
  // lists.example.org (i=1)", "... not enforced"; empty when there was nothing to decide.
  std::string note;
};

Enforcement decide(const AuthResults& results, const EnforcementPolicy& policy,
                   const std::optional<ArcVouch>& vouch);

}  // namespace hikyaku::auth
