// Wiring of the metrics endpoint to the running server: queue gauges (by state and by served
// domain) from the runner's index, readiness from the start-up scan, the drain and the spool's
// free-space floor.
#include "app/metrics_wiring.hpp"

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

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
  set_queue_gauges(m, queue.counts(), std::time(nullptr));
  m.sessions_active.with({}).set(static_cast<double>(server.active_sessions()));
  m.ready.with({}).set(ready ? 1 : 0);
  if (const auto free = queue::probe_free_space(queue.options().directory)) {
    m.spool_free_bytes.with({}).set(static_cast<double>(free->bytes));
    m.spool_free_inodes.with({}).set(static_cast<double>(free->inodes));
  }
}

}  // namespace

void set_queue_gauges(metrics::Catalog& m, const queue::QueueCounts& counts, std::int64_t now) {
  auto by_state = [&m, now](std::string_view state, const queue::QueueStateCounts& c) {
    m.queue_entries.with({state}).set(static_cast<double>(c.entries));
    m.queue_recipients.with({state}).set(static_cast<double>(c.recipients));
    m.queue_bytes.with({state}).set(static_cast<double>(c.message_bytes));
    const std::int64_t oldest = c.oldest_arrival;
    m.queue_oldest_age.with({state}).set(oldest > 0 && now > oldest ? static_cast<double>(now - oldest) : 0.0);
  };
  by_state(metrics::kQueueActive, counts.active);
  by_state(metrics::kQueueDeferred, counts.deferred);
  // Every declared domain back to 0 first, so a domain whose recipients have left reads 0.
  std::vector<std::string> declared;
  m.queue_domain_recipients.each(
      [&declared](const std::vector<std::string>& key, const metrics::Gauge&) { declared.push_back(key.at(0)); });
  for (const auto& d : declared) m.queue_domain_recipients.with({d}).set(0);
  for (const auto& [domain, n] : counts.recipient_domains) {
    // Declared domains are lowercase A-labels; an undeclared one counts under "other".
    auto ascii = core::domain_to_ascii(domain);
    std::string name = ascii ? *ascii : domain;
    for (auto& c : name) c = core::ascii_lower(c);
    m.queue_domain_recipients.with({name}).add(static_cast<double>(n));
  }
}

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
