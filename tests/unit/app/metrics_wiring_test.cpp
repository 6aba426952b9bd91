// Unit tests for app/metrics_wiring set_queue_gauges: the queue's counts become the gauges by
// state, and the pending recipients per domain are counted under a declared domain or "other",
// every declared series reset to 0 first.
#include "app/metrics_wiring.hpp"

#include <gtest/gtest.h>

#include "metrics/exposition.hpp"

namespace hikyaku::app {
namespace {

TEST(QueueGauges, ByStateWithAgesFromNow) {
  metrics::Catalog m;
  queue::QueueCounts c;
  c.active = {1, 2, 300, 1000};
  c.deferred = {3, 5, 7000, 900};
  set_queue_gauges(m, c, 1100);
  EXPECT_EQ(m.queue_entries.with({"active"}).value(), 1);
  EXPECT_EQ(m.queue_recipients.with({"active"}).value(), 2);
  EXPECT_EQ(m.queue_bytes.with({"active"}).value(), 300);
  EXPECT_EQ(m.queue_oldest_age.with({"active"}).value(), 100);
  EXPECT_EQ(m.queue_entries.with({"deferred"}).value(), 3);
  EXPECT_EQ(m.queue_recipients.with({"deferred"}).value(), 5);
  EXPECT_EQ(m.queue_bytes.with({"deferred"}).value(), 7000);
  EXPECT_EQ(m.queue_oldest_age.with({"deferred"}).value(), 200);
  // Empty: every gauge back to 0 (no arrival: age 0, not `now`).
  set_queue_gauges(m, queue::QueueCounts{}, 1100);
  for (const auto state : {"active", "deferred"}) {
    EXPECT_EQ(m.queue_entries.with({state}).value(), 0);
    EXPECT_EQ(m.queue_recipients.with({state}).value(), 0);
    EXPECT_EQ(m.queue_bytes.with({state}).value(), 0);
    EXPECT_EQ(m.queue_oldest_age.with({state}).value(), 0);
  }
}

TEST(QueueGauges, DomainsAreTheDeclaredOnesElseOther) {
  metrics::Catalog m;
  m.queue_domain_recipients.add_value("domain", "served.example");
  m.queue_domain_recipients.add_value("domain", "xn--bcher-kva.example");
  queue::QueueCounts c;
  c.recipient_domains = {{"served.example", 2}, {"bücher.example", 1}, {"gmail.example", 4},
                         {"elsewhere.example", 1}};
  set_queue_gauges(m, c, 0);
  EXPECT_EQ(m.queue_domain_recipients.with({"served.example"}).value(), 2);
  EXPECT_EQ(m.queue_domain_recipients.with({"xn--bcher-kva.example"}).value(), 1);
  EXPECT_EQ(m.queue_domain_recipients.with({"other"}).value(), 5);
  const auto text = metrics::render(m.registry);
  EXPECT_EQ(text.find("gmail.example"), std::string::npos);
  EXPECT_EQ(text.find("elsewhere.example"), std::string::npos);
  // The next scrape starts from 0: a domain whose recipients left reads 0, "other" is not summed
  // over scrapes.
  c.recipient_domains = {{"gmail.example", 1}};
  set_queue_gauges(m, c, 0);
  EXPECT_EQ(m.queue_domain_recipients.with({"served.example"}).value(), 0);
  EXPECT_EQ(m.queue_domain_recipients.with({"xn--bcher-kva.example"}).value(), 0);
  EXPECT_EQ(m.queue_domain_recipients.with({"other"}).value(), 1);
}

}  // namespace
}  // namespace hikyaku::app
