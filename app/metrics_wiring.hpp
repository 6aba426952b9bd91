// What the metrics endpoint of `hikyaku serve` reads: the scrape (gauges of the queue and the
// sessions refreshed first, on the event loop) and the readiness facts; and the served
// domains declared as label values whenever a configuration takes effect.
#pragma once
#include "app/health.hpp"
#include "app/runtime.hpp"
#include "config/config.hpp"
#include "metrics/catalog.hpp"
#include "queue/queue_runner.hpp"
#include "smtpd/server.hpp"

namespace hikyaku::app {

// The endpoints of serve(); the references must outlive the metrics server.
HealthEndpoints serve_health_endpoints(const Runtime& runtime, const smtpd::Server& server,
                                       const queue::QueueRunner& queue);

// Sets the queue gauges of `m` from the runner's counts: by state, and the pending recipients
// per served domain (a domain not declared counts under "other"). `now` in Unix seconds.
void set_queue_gauges(metrics::Catalog& m, const queue::QueueCounts& counts, std::int64_t now);

// A configuration took effect (start-up or reload): its domains become `domain` label values
// and the last-load timestamp is set.
void note_config_in_force(const config::Config& config);

}  // namespace hikyaku::app
