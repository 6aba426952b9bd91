// The HTTP endpoint's decisions, without sockets: which answer a request gets (/metrics,
// /livez, /readyz, 404, 405; RFC 9110 §15) and whether the server is ready for traffic (the
// probes a load balancer or Kubernetes uses; docs/metrics.md).
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace hikyaku::app {

struct HttpAnswer {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// What the endpoint reads when asked; both called on the event loop.
struct HealthEndpoints {
  std::function<std::string()> scrape;     // the Prometheus text of /metrics
  std::function<std::string()> not_ready;  // "" when ready, else why not
};

// The answer to `method` `target` (origin-form; a query string is ignored). HEAD is answered
// as GET (the server sends no body).
HttpAnswer answer_request(std::string_view method, std::string_view target,
                          const HealthEndpoints& endpoints);

struct ReadinessFacts {
  bool queue_resumed = false;  // the spool's start-up scan has ended
  bool draining = false;       // SIGTERM/SIGINT received
  std::string spool_problem;   // queue::spool_space_problem(): "" when there is room
  bool resolver_failing = false;  // every DNS query for [metrics] dns_failing_for has failed
};

// "" when ready; else the first reason, for the 503 body.
std::string not_ready_reason(const ReadinessFacts& facts);

}  // namespace hikyaku::app
