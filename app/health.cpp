// Routing of the metrics/health endpoint's requests and the readiness decision (pure).
#include "app/health.hpp"

#include "metrics/exposition.hpp"

namespace hikyaku::app {

HttpAnswer answer_request(std::string_view method, std::string_view target,
                          const HealthEndpoints& endpoints) {
  const auto path = target.substr(0, target.find('?'));
  const bool known = path == "/metrics" || path == "/livez" || path == "/readyz";
  if (!known) return HttpAnswer{404, "text/plain; charset=utf-8", "not found\n"};
  // RFC 9110 §15.5.6: 405 for a method the resource does not support.
  if (method != "GET" && method != "HEAD") {
    return HttpAnswer{405, "text/plain; charset=utf-8", "method not allowed\n"};
  }
  if (path == "/metrics") {
    return HttpAnswer{200, std::string(metrics::kContentType), endpoints.scrape()};
  }
  if (path == "/livez") return HttpAnswer{200, "text/plain; charset=utf-8", "ok\n"};
  if (auto why = endpoints.not_ready(); !why.empty()) {
    return HttpAnswer{503, "text/plain; charset=utf-8", "not ready: " + why + "\n"};
  }
  return HttpAnswer{200, "text/plain; charset=utf-8", "ready\n"};
}

std::string not_ready_reason(const ReadinessFacts& facts) {
  if (facts.draining) return "draining";
  if (!facts.queue_resumed) return "starting: the spool is not recovered yet";
  if (!facts.spool_problem.empty()) return "spool under its free-space floor: " + facts.spool_problem;
  if (facts.resolver_failing) return "the resolver has failed every query for metrics.dns_failing_for or more";
  return "";
}

}  // namespace hikyaku::app
