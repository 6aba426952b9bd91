// Grouping forwarding destinations by domain (DESIGN §1 step 6): a destination named by two
// recipients (two aliases of one person, or a rule and a catch-all) gets the message once.
#include "app/delivery_plan.hpp"

#include <set>

#include "app/from_rewrite_decision.hpp"

namespace hikyaku::app {

size_t DeliveryPlan::recipient_count() const {
  size_t n = 0;
  for (const auto& g : groups) n += g.recipients.size();
  return n;
}

DeliveryPlan plan_delivery(const core::Envelope& env, const routing::Router& router) {
  DeliveryPlan plan;
  std::set<std::string> seen;  // "local@domain" with the local part as given, domain A-labels
  for (const auto& rcpt : env.recipients) {
    const auto decision = router.route(env, rcpt);
    if (decision.disposition == routing::Disposition::drop) {
      ++plan.dropped;
      continue;
    }
    if (decision.disposition != routing::Disposition::forward) continue;
    plan.from_rewrite = combine_modes(plan.from_rewrite, decision.from_rewrite);
    for (const auto& dest : decision.destinations) {
      if (!seen.insert(dest.local + "@" + dest.domain).second) continue;
      plan.originals.emplace(dest.str(), rcpt.str_as_sent());
      auto group = plan.groups.begin();
      while (group != plan.groups.end() && group->domain != dest.domain) ++group;
      if (group == plan.groups.end()) {
        plan.groups.push_back(DestinationGroup{dest.domain, {}});
        group = std::prev(plan.groups.end());
      }
      group->recipients.push_back(dest);
    }
  }
  return plan;
}

}  // namespace hikyaku::app
