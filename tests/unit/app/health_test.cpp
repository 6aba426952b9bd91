// Unit tests for app/health: the endpoint's routing (/metrics, /livez, /readyz, 404, 405;
// RFC 9110 §15) and the readiness decision, without sockets.
#include "app/health.hpp"

#include <gtest/gtest.h>

namespace hikyaku::app {
namespace {

HealthEndpoints endpoints(std::string not_ready) {
  HealthEndpoints e;
  e.scrape = [] { return std::string("# HELP x X.\n"); };
  e.not_ready = [not_ready] { return not_ready; };
  return e;
}

TEST(HealthAnswer, Routes) {
  const auto ready = endpoints("");
  auto a = answer_request("GET", "/metrics", ready);
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(a.body, "# HELP x X.\n");
  EXPECT_EQ(answer_request("GET", "/metrics?name=x", ready).status, 200u);
  EXPECT_EQ(answer_request("HEAD", "/livez", ready).status, 200u);
  EXPECT_EQ(answer_request("GET", "/livez", ready).body, "ok\n");
  EXPECT_EQ(answer_request("GET", "/readyz", ready).status, 200u);
  EXPECT_EQ(answer_request("GET", "/", ready).status, 404u);
  EXPECT_EQ(answer_request("GET", "/metricsx", ready).status, 404u);
  EXPECT_EQ(answer_request("GET", "/metrics/", ready).status, 404u);
  EXPECT_EQ(answer_request("GET", "http://h/metrics", ready).status, 404u);
  EXPECT_EQ(answer_request("POST", "/metrics", ready).status, 405u);
  EXPECT_EQ(answer_request("DELETE", "/readyz", ready).status, 405u);
  EXPECT_EQ(answer_request("POST", "/nothing", ready).status, 404u);
}

TEST(HealthAnswer, NotReadyIs503WithTheReason) {
  const auto a = answer_request("GET", "/readyz", endpoints("draining"));
  EXPECT_EQ(a.status, 503u);
  EXPECT_EQ(a.body, "not ready: draining\n");
  // Liveness does not depend on readiness.
  EXPECT_EQ(answer_request("GET", "/livez", endpoints("draining")).status, 200u);
}

TEST(Readiness, Reasons) {
  ReadinessFacts f;
  EXPECT_EQ(not_ready_reason(f), "starting: the spool is not recovered yet");
  f.queue_resumed = true;
  EXPECT_EQ(not_ready_reason(f), "");
  f.spool_problem = "10 bytes free, under 100";
  EXPECT_EQ(not_ready_reason(f), "spool under its free-space floor: 10 bytes free, under 100");
  f.draining = true;
  EXPECT_EQ(not_ready_reason(f), "draining");
  f.queue_resumed = false;
  f.spool_problem.clear();
  EXPECT_EQ(not_ready_reason(f), "draining");
  ReadinessFacts dns;
  dns.queue_resumed = true;
  dns.resolver_failing = true;
  EXPECT_EQ(not_ready_reason(dns), "the resolver has failed every query for metrics.dns_failing_for or more");
}

}  // namespace
}  // namespace hikyaku::app
