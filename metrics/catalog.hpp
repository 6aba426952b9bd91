// The metrics Hikyaku exports (docs/metrics.md lists them): one process-wide registry that any
// module records into where it decides an outcome. Every label's values are fixed here (the
// served domains are added from the configuration), so no address, queue id or client IP can
// ever become a label.
#pragma once
#include <string_view>

#include "metrics/registry.hpp"

namespace hikyaku::metrics {

struct Catalog {
  Registry registry;
  // smtpd
  Family<Counter>& connections;         // {listener, result}
  Family<Gauge>& sessions_active;
  Family<Counter>& replies;             // {command, class}
  Family<Counter>& reply_codes;         // {code}
  Family<Counter>& error_replies;       // {command, code, enhanced}: 4xx and 5xx only
  Family<Counter>& proxy_headers;       // {result}
  // the end-of-DATA pipeline
  Family<Counter>& messages;            // {outcome}
  Family<Counter>& domain_messages;     // {domain, outcome}
  Family<Histogram>& message_size;
  Family<Histogram>& message_recipients;
  Family<Counter>& auth_results;        // {method, result}
  // dns
  Family<Counter>& dns_queries;         // {type, result}
  Family<Histogram>& dns_duration;
  // queue
  Family<Gauge>& queue_entries;         // {state}: active, deferred
  Family<Gauge>& queue_recipients;      // {state}
  Family<Gauge>& queue_bytes;           // {state}: message bytes of the entries' spool files
  Family<Gauge>& queue_oldest_age;      // {state}
  Family<Gauge>& queue_domain_recipients;  // {domain}: configured domains, else other
  Family<Counter>& delivery_attempts;   // {result}
  Family<Counter>& deliveries;          // {path, result, reply}: attempts per destination domain
  Family<Counter>& dsns;
  Family<Gauge>& spool_free_bytes;
  Family<Gauge>& spool_free_inodes;
  // delivery (in the session and from the queue)
  Family<Histogram>& delivery_stage;    // {stage}: Postfix's delays= a/b/c/d
  Family<Histogram>& data_reply;        // end of DATA to the reply
  Family<Counter>& tls;                 // {direction, version, result}
  Family<Counter>& policy_actions;      // {action}: the DMARC enforcement decision
  Family<Histogram>& end_to_end;        // {path}: end of DATA (session) or arrival (queue) to a 2xx
  Family<Counter>& expired;             // queued recipients given up at max_lifetime
  Family<Histogram>& spool_write;       // one durable write (tmp, fsync, rename, directory fsync)
  Family<Histogram>& spool_fsync;       // {target}: one fsync of a spool file or directory
  Family<Counter>& dns_cache;           // {result}: hit, miss
  // process
  Family<Counter>& config_reloads;      // {result}
  Family<Gauge>& config_last_reload;
  Family<Gauge>& config_last_reload_ok; // 1 when the last reload took effect, else 0
  Family<Gauge>& build_info;            // {version}
  Family<Gauge>& ready;

  Catalog();
};

// The process-wide metrics (made on first use).
Catalog& process();

// The value a served domain is counted under: the label "other" for any domain not declared.
inline constexpr std::string_view kOtherDomain = "other";
// The `state` label of the queue gauges: an entry being delivered now, or waiting for its next try.
inline constexpr std::string_view kQueueActive = "active";
inline constexpr std::string_view kQueueDeferred = "deferred";
// Declares a served domain (lowercase A-labels) so its series exist at 0 (in every family with
// a `domain` label).
void declare_domain(std::string_view domain);

// The reply label of hikyaku_delivery_attempts_total: "connect_failure" when no destination
// host answered, else the class of the reply that decided the result (2xx, 4xx, 5xx).
std::string_view delivery_reply_class(bool answered, std::string_view result);

// Outcome of one message by the pipeline's status word and reply code (see docs/metrics.md).
std::string_view message_outcome(std::string_view status, int reply_code);

}  // namespace hikyaku::metrics
