// Routing of mail sent to the reply address of a rewritten From (srs/reply_address.hpp): a
// reply to FR=...@forwarding.domain goes to the original author once its HMAC and age check
// out; a forged, damaged or expired one is refused at RCPT, so the domain is never a relay.
// RFC 5321 §3.9 (forwarding), RFC 3463 §3.2 (X.1.1 bad destination mailbox).
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/address.hpp"

namespace hikyaku::routing {

struct RouteDecision;

struct ReplyRouting {
  std::string domain;                // A-labels, lowercase
  std::vector<std::string> secrets;  // [srs] secrets: the first signs, all verify
  int max_age_days = 90;             // [from_rewrite] reply_max_age
  std::function<std::chrono::sys_days()> today;  // the clock; tests inject one

  // From [from_rewrite] and [srs] secrets; nullopt when there is no domain or no secret (then
  // no From is rewritten either).
  static std::optional<ReplyRouting> from(const config::Config& config);
};

// The decision for `rcpt` when it is a reply address in the reply domain ("FR=" local part),
// else nullopt (not ours to decide: an SRS address or a served domain's rule may take it).
std::optional<RouteDecision> route_reply_address(const ReplyRouting& reply, const core::Address& rcpt);

}  // namespace hikyaku::routing
