// Wiring of the metrics endpoint to the running server: queue gauges from the runner's index,
// readiness from the start-up scan, the drain and the spool's free-space floor.
#include "app/metrics_wiring.hpp"

#include <algorithm>
#include <ctime>

#include "core/address.hpp"
#include "core/ascii.hpp"
#include "dns/resolver_health.hpp"
#include "metrics/catalog.hpp"
#include "metrics/exposition.hpp"
#include "queue/free_space.hpp"

namespace hikyaku::app {

namespace {

std::string readiness(const Runtime& runtime, const smtpd::Server& server, const queue::QueueRunner& queue) {
  ReadinessFacts facts;
  facts.queue_resumed = queue.resumed();
  facts.draining = server.stopping();
  // [metrics] dns_failing_for: long enough that one bad domain's lookups cannot make it flap
  // (they are interleaved with answers).
  const auto env = runtime.current();
  const auto window = env ? env->config->metrics.dns_failing_for : config::MetricsConfig{}.dns_failing_for;
  facts.resolver_failing = dns::resolver_health().failing(window, std::chrono::steady_clock::now());
  if (facts.queue_resumed && !facts.draining) {
    // statvfs(2) of the spool: one system call, no I/O wait worth a thread.
    if (const auto env = runtime.current()) {
      const auto& q = env->config->queue;
      facts.spool_problem = queue::spool_space_problem(
          q.directory, queue::SpaceFloor{q.min_free_space, q.min_free_inodes});
    }
  }
  return not_ready_reason(facts);
}

void refresh_gauges(const smtpd::Server& server, const queue::QueueRunner& queue, bool ready) {
  auto& m = metrics::process();
  const auto entries = queue.list();
  std::size_t recipients = 0;
  std::int64_t oldest = 0;
  for (const auto& e : entries) {
    recipients += e.recipients.size();
    if (oldest == 0 || (e.arrival > 0 && e.arrival < oldest)) oldest = e.arrival;
  }
  const std::int64_t now = std::time(nullptr);
  m.queue_entries.with({}).set(static_cast<double>(entries.size()));
  m.queue_recipients.with({}).set(static_cast<double>(recipients));
  m.queue_oldest_age.with({}).set(oldest > 0 && now > oldest ? static_cast<double>(now - oldest) : 0.0);
  m.sessions_active.with({}).set(static_cast<double>(server.active_sessions()));
  m.ready.with({}).set(ready ? 1 : 0);
  if (const auto free = queue::probe_free_space(queue.options().directory)) {
    m.spool_free_bytes.with({}).set(static_cast<double>(free->bytes));
    m.spool_free_inodes.with({}).set(static_cast<double>(free->inodes));
  }
}

}  // namespace

HealthEndpoints serve_health_endpoints(const Runtime& runtime, const smtpd::Server& server,
                                       const queue::QueueRunner& queue) {
  HealthEndpoints e;
  e.not_ready = [&runtime, &server, &queue] { return readiness(runtime, server, queue); };
  e.scrape = [&runtime, &server, &queue] {
    refresh_gauges(server, queue, readiness(runtime, server, queue).empty());
    return metrics::render(metrics::process().registry);
  };
  return e;
}

void note_config_in_force(const config::Config& config) {
  for (const auto& d : config.domains) {
    auto ascii = core::domain_to_ascii(d.name);
    std::string name = ascii ? *ascii : d.name;
    for (auto& c : name) c = core::ascii_lower(c);
    metrics::declare_domain(name);
  }
  metrics::process().config_last_reload.with({}).set(static_cast<double>(std::time(nullptr)));
}

}  // namespace hikyaku::app
