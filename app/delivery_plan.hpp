// Which upstream transactions one message needs: the forwarding destinations of every accepted
// recipient, deduplicated and grouped by destination domain (one transaction per domain,
// DESIGN §1 step 6). Pure.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/envelope.hpp"
#include "routing/router.hpp"

namespace hikyaku::app {

struct DestinationGroup {
  std::string domain;                    // A-labels, lowercase
  std::vector<core::Address> recipients;  // in first-seen order, each once
};

struct DeliveryPlan {
  std::vector<DestinationGroup> groups;  // in first-seen order
  size_t dropped = 0;                    // recipients whose rule discards the message
  // Each destination (Address::str()) -> the RCPT TO address (as sent) that first named it: what
  // the sender may be told instead of the private forwarding target (RFC 3461 §4.2 ORCPT).
  std::map<std::string, std::string> originals;
  // From rewriting for the one copy all destinations get: of the forwarded recipients' modes
  // the one that rewrites least (app/from_rewrite_decision combine_modes).
  config::FromRewriteMode from_rewrite = config::FromRewriteMode::always;
  bool empty() const { return groups.empty(); }
  size_t recipient_count() const;
};

DeliveryPlan plan_delivery(const core::Envelope& env, const routing::Router& router);

}  // namespace hikyaku::app
