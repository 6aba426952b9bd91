// Grouping forwarding destinations by domain: dedupe, order, drops (DESIGN §1 step 6).
#include <gtest/gtest.h>

#include "app/delivery_plan.hpp"

namespace hikyaku::app {
namespace {

routing::Router router() {
  config::DomainConfig d;
  d.name = "example.com";
  auto rule = [](std::string local, std::vector<std::string> to) {
    config::RuleConfig r;
    r.address = local;
    r.target.action = config::RouteAction::forward;
    r.target.forward_to = std::move(to);
    return r;
  };
  d.rules.push_back(rule("info", {"alice@dest.example"}));
  d.rules.push_back(rule("sales", {"bob@other.example", "alice@dest.example", "carol@dest.example"}));
  config::RuleConfig drop;
  drop.address = "noreply";
  drop.target.action = config::RouteAction::drop;
  d.rules.push_back(drop);
  return routing::Router({d});
}

core::Envelope envelope(std::vector<std::string> rcpts) {
  core::Envelope env;
  for (const auto& r : rcpts) env.recipients.push_back(*core::parse_mailbox(r, false));
  return env;
}

TEST(DeliveryPlan, GroupsByDomainInFirstSeenOrderAndDedupes) {
  auto plan = plan_delivery(envelope({"info@example.com", "sales@example.com"}), router());
  ASSERT_EQ(plan.groups.size(), 2u);
  EXPECT_EQ(plan.groups[0].domain, "dest.example");
  ASSERT_EQ(plan.groups[0].recipients.size(), 2u);  // alice once, then carol
  EXPECT_EQ(plan.groups[0].recipients[0].str(), "alice@dest.example");
  EXPECT_EQ(plan.groups[0].recipients[1].str(), "carol@dest.example");
  EXPECT_EQ(plan.groups[1].domain, "other.example");
  EXPECT_EQ(plan.recipient_count(), 3u);
  EXPECT_EQ(plan.dropped, 0u);
}

// Each destination remembers the RCPT TO address that first named it (the DSN's
// Original-Recipient, and what replies show instead of the private target).
TEST(DeliveryPlan, EachDestinationKnowsTheAddressTheSenderUsed) {
  auto plan = plan_delivery(envelope({"Info@EXAMPLE.com", "sales@example.com"}), router());
  ASSERT_EQ(plan.originals.size(), 3u);
  EXPECT_EQ(plan.originals.at("alice@dest.example"), "Info@EXAMPLE.com");  // the first to name it
  EXPECT_EQ(plan.originals.at("bob@other.example"), "sales@example.com");
  EXPECT_EQ(plan.originals.at("carol@dest.example"), "sales@example.com");
}

TEST(DeliveryPlan, DropOnlyIsEmpty) {
  auto plan = plan_delivery(envelope({"noreply@example.com"}), router());
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(plan.dropped, 1u);
}

TEST(DeliveryPlan, DropAndForwardMix) {
  auto plan = plan_delivery(envelope({"noreply@example.com", "info@example.com"}), router());
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_EQ(plan.dropped, 1u);
  EXPECT_EQ(plan.groups[0].recipients.size(), 1u);
}

}  // namespace
}  // namespace hikyaku::app
