// The declarations of every Hikyaku metric: names in base units, `_total` counters, and the
// closed set of values each label may take.
#include "metrics/catalog.hpp"

#include <algorithm>

#include "metrics/version.hpp"

namespace hikyaku::metrics {

namespace {

Label label(std::string name, std::vector<std::string> values, std::string fallback) {
  return Label{std::move(name), std::move(values), std::move(fallback)};
}

const std::vector<std::string> kOutcomes = {"sent", "queued", "deferred", "refused", "discarded"};

const std::vector<std::string> kCommands = {"none", "helo", "ehlo", "mail", "rcpt", "data", "rset",
                                            "noop", "quit", "vrfy", "expn", "help", "starttls", "unknown"};

// The 4xx and 5xx codes a reply may carry (RFC 5321 §4.2.3, RFC 3207, RFC 4954, RFC 7504).
const std::vector<std::string> kErrorCodes = {"421", "450", "451", "452", "454", "500", "501",
                                              "502", "503", "504", "521", "530", "550", "551",
                                              "552", "553", "554", "555", "556", "other"};

// The (code, enhanced status code) pairs the server composes itself (smtpd/replies, the
// forwarding checks, relay's made-up replies, a rule's reply without an enhanced code: X.0.0)
// and the common ones a rule or an upstream gives (RFC 3463 §3: moved, mailbox full,
// greylisting); any other enhanced code is counted as "other" under its code, and an unlisted
// code as ("other", "other").
const std::vector<std::vector<std::string>> kComposedStatuses = {
    {"421", "4.3.2"}, {"421", "4.4.2"}, {"421", "4.7.0"}, {"450", "4.7.1"}, {"451", "4.3.0"},
    {"451", "4.3.5"}, {"451", "4.4.2"}, {"451", "4.4.3"}, {"451", "4.4.4"}, {"451", "4.7.5"},
    {"452", "4.3.1"}, {"452", "4.5.3"}, {"500", "5.5.2"}, {"501", "5.1.3"}, {"501", "5.1.7"},
    {"501", "5.5.2"}, {"501", "5.5.4"}, {"502", "5.5.1"}, {"503", "5.5.1"}, {"550", "5.1.1"},
    {"550", "5.1.2"}, {"550", "5.6.11"}, {"550", "5.7.1"}, {"552", "5.3.4"}, {"553", "5.1.3"},
    {"553", "5.1.7"}, {"553", "5.6.7"}, {"554", "5.1.7"}, {"554", "5.3.1"}, {"554", "5.4.6"},
    {"554", "5.5.1"}, {"554", "5.6.3"}, {"554", "5.7.1"}, {"555", "5.5.4"}, {"556", "5.1.10"},
    {"450", "4.0.0"}, {"450", "4.2.0"}, {"450", "4.2.1"}, {"451", "4.0.0"}, {"451", "4.4.1"},
    {"451", "4.5.0"}, {"452", "4.2.2"}, {"550", "5.0.0"}, {"550", "5.1.6"}, {"552", "5.2.2"},
    {"554", "5.0.0"}};

Label queue_state_label() {
  return label("state", {std::string(kQueueActive), std::string(kQueueDeferred)}, std::string(kQueueDeferred));
}

Label error_code_label() { return label("code", kErrorCodes, "other"); }

Label enhanced_label() {
  std::vector<std::string> values;
  for (const auto& t : kComposedStatuses) {
    if (std::find(values.begin(), values.end(), t[1]) == values.end()) values.push_back(t[1]);
  }
  values.emplace_back("other");
  return label("enhanced", std::move(values), "other");
}

Joint error_statuses() {
  Joint j;
  j.first = 1;
  j.tuples = kComposedStatuses;
  for (const auto& code : kErrorCodes) j.tuples.push_back({code, "other"});
  return j;
}

}  // namespace

Catalog::Catalog()
    : connections(registry.counter(
          "hikyaku_smtp_connections_total",
          "SMTP connections by listener kind and what became of them at accept.",
          {label("listener", {"smtp", "proxy"}, "smtp"),
           label("result", {"accepted", "busy", "untrusted_proxy", "bad_proxy_header"}, "accepted")})),
      sessions_active(registry.gauge("hikyaku_smtp_sessions_active", "SMTP sessions open now.")),
      replies(registry.counter(
          "hikyaku_smtp_replies_total", "SMTP replies sent, by the command answered and the reply class.",
          {label("command", kCommands, "unknown"), label("class", {"2xx", "3xx", "4xx", "5xx"}, "5xx")})),
      reply_codes(registry.counter(
          "hikyaku_smtp_reply_codes_total", "SMTP replies sent, by reply code.",
          {label("code", {"220", "221", "235", "250", "251", "252", "354", "421", "450", "451", "452",
                          "454", "500", "501", "502", "503", "504", "521", "530", "550", "551", "552",
                          "553", "554", "555", "other"},
                 "other")})),
      error_replies(registry.counter(
          "hikyaku_smtp_error_replies_total",
          "SMTP 4xx and 5xx replies sent, by the command answered, the reply code and the enhanced "
          "status code (the pairs the server composes; any other is counted as other).",
          {label("command", kCommands, "unknown"), error_code_label(), enhanced_label()}, error_statuses())),
      proxy_headers(registry.counter(
          "hikyaku_proxy_headers_total",
          "PROXY protocol headers on the proxy listeners, by result.",
          {label("result", {"proxied", "local", "invalid", "too_long", "timeout", "closed", "untrusted"},
                 "invalid")})),
      messages(registry.counter("hikyaku_messages_total",
                                "Messages received (end of DATA), by outcome.",
                                {label("outcome", kOutcomes, "refused")})),
      domain_messages(registry.counter(
          "hikyaku_domain_messages_total",
          "Messages received, by served recipient domain (configured domains, else other) and outcome.",
          {label("domain", {std::string(kOtherDomain)}, std::string(kOtherDomain)),
           label("outcome", kOutcomes, "refused")})),
      message_size(registry.histogram(
          "hikyaku_message_size_bytes", "Size of the messages received, in bytes.",
          {1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864})),
      message_recipients(registry.histogram("hikyaku_message_recipients",
                                            "Accepted recipients per message received.",
                                            {1, 2, 5, 10, 20, 50, 100})),
      auth_results(registry.counter(
          "hikyaku_auth_results_total", "Authentication verdicts of messages received, by method and result.",
          {label("method", {"spf", "dkim", "dmarc", "arc"}, "spf"),
           label("result", {"pass", "fail", "softfail", "neutral", "none", "policy", "temperror",
                            "permerror", "other"},
                 "other")})),
      dns_queries(registry.counter(
          "hikyaku_dns_queries_total", "DNS queries sent to the resolver, by type and result.",
          {label("type", {"A", "AAAA", "MX", "TXT", "PTR", "CNAME", "NS", "SOA", "other"}, "other"),
           label("result", {"ok", "nxdomain", "nodata", "servfail", "timeout"}, "servfail")})),
      dns_duration(registry.histogram("hikyaku_dns_query_duration_seconds",
                                      "Time to answer a DNS query that reached the resolver, in seconds.",
                                      {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      queue_entries(registry.gauge("hikyaku_queue_entries", "Messages in the queue, by state.",
                                   {queue_state_label()})),
      queue_recipients(registry.gauge("hikyaku_queue_recipients",
                                      "Recipients still to be delivered by the queue, by their entry's state.",
                                      {queue_state_label()})),
      queue_bytes(registry.gauge("hikyaku_queue_bytes",
                                 "Message bytes of the queued entries' spool files, by state.",
                                 {queue_state_label()})),
      queue_oldest_age(registry.gauge(
          "hikyaku_queue_oldest_age_seconds",
          "Age of the oldest message in the queue, by state, in seconds (0 when there is none).",
          {queue_state_label()})),
      queue_domain_recipients(registry.gauge(
          "hikyaku_queue_domain_recipients",
          "Recipients still to be delivered by the queue, by served domain (configured domains, else other).",
          {label("domain", {std::string(kOtherDomain)}, std::string(kOtherDomain))})),
      delivery_attempts(registry.counter(
          "hikyaku_queue_delivery_attempts_total",
          "Queue delivery attempts per destination domain group, by result.",
          {label("result", {"delivered", "deferred", "failed"}, "deferred")})),
      deliveries(registry.counter(
          "hikyaku_delivery_attempts_total",
          "Delivery attempts per destination domain, in the session or from the queue, by result and "
          "the class of the reply that decided it (connect_failure: no destination host answered).",
          {label("path", {"session", "queue"}, "session"),
           label("result", {"delivered", "deferred", "failed"}, "deferred"),
           label("reply", {"2xx", "4xx", "5xx", "connect_failure"}, "connect_failure")})),
      dsns(registry.counter("hikyaku_dsn_sent_total",
                            "Delivery status notifications (bounces) queued.")),
      spool_free_bytes(registry.gauge("hikyaku_spool_free_bytes",
                                      "Bytes available to the service in the spool's file system.")),
      spool_free_inodes(registry.gauge("hikyaku_spool_free_inodes",
                                       "Inodes available to the service in the spool's file system.")),
      delivery_stage(registry.histogram(
          "hikyaku_delivery_stage_seconds",
          "Time per delivery stage and destination domain, in seconds (Postfix's delays=a/b/c/d): checks "
          "after the end of data, queue wait, connection setup, transmission.",
          {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400},
          {label("stage", {"checks", "queue_wait", "connect", "transmit"}, "transmit")})),
      data_reply(registry.histogram("hikyaku_data_reply_seconds",
                                    "Time from the end of DATA to our reply, in seconds.",
                                    {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600})),
      tls(registry.counter(
          "hikyaku_tls_sessions_total",
          "TLS handshakes, inbound (STARTTLS offered to clients) and outbound (to destinations), by "
          "protocol version and result.",
          {label("direction", {"in", "out"}, "in"),
           label("version", {"TLSv1.2", "TLSv1.3", "other", "none"}, "other"),
           label("result", {"ok", "failed"}, "failed")})),
      policy_actions(registry.counter(
          "hikyaku_policy_actions_total",
          "What the authentication step decided for a message: accept (forward), refuse (5xx, DMARC "
          "p=reject or no From), defer (4xx, a lookup failed).",
          {label("action", {"accept", "refuse", "defer"}, "refuse")})),
      end_to_end(registry.histogram(
          "hikyaku_delivery_end_to_end_seconds",
          "From the end of DATA (a delivery in the session) or the message's arrival (a delivery from "
          "the queue) to the destination's 2xx, in seconds.",
          {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400, 432000},
          {label("path", {"session", "queue"}, "session")})),
      expired(registry.counter("hikyaku_queue_expired_total",
                               "Queued recipients given up at [queue] max_lifetime (a DSN follows).")),
      spool_write(registry.histogram(
          "hikyaku_spool_write_seconds",
          "One durable spool write (temporary file, fsync, rename, directory fsync), in seconds.",
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1})),
      spool_fsync(registry.histogram(
          "hikyaku_spool_fsync_seconds",
          "One fsync of a spool write, of the file or of its directory, in seconds.",
          {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
          {label("target", {"file", "directory"}, "file")})),
      dns_cache(registry.counter("hikyaku_dns_cache_total", "DNS lookups answered from the cache or not.",
                                 {label("result", {"hit", "miss"}, "miss")})),
      config_reloads(registry.counter("hikyaku_config_reloads_total",
                                      "Configuration reloads (SIGHUP), by result.",
                                      {label("result", {"success", "failure"}, "failure")})),
      config_last_reload(registry.gauge(
          "hikyaku_config_last_reload_success_timestamp_seconds",
          "Unix time of the last configuration load that took effect (start-up or reload).")),
      config_last_reload_ok(registry.gauge(
          "hikyaku_config_last_reload_successful",
          "1 when the last configuration reload took effect (or none was tried), 0 when it failed.")),
      build_info(registry.gauge("hikyaku_build_info", "The running release; the value is 1.",
                                {label("version", {kVersion}, kVersion)})),
      ready(registry.gauge("hikyaku_ready", "1 while /readyz answers 200, else 0.")) {
  build_info.with({kVersion}).set(1);
  config_last_reload_ok.with({}).set(1);
}

Catalog& process() {
  static Catalog catalog;
  return catalog;
}

void declare_domain(std::string_view domain) {
  if (domain.empty()) return;
  process().domain_messages.add_value("domain", domain);
  process().queue_domain_recipients.add_value("domain", domain);
}

std::string_view delivery_reply_class(bool answered, std::string_view result) {
  if (!answered) return "connect_failure";
  if (result == "delivered") return "2xx";
  return result == "failed" ? "5xx" : "4xx";
}

std::string_view message_outcome(std::string_view status, int reply_code) {
  if (status == "sent" || status == "queued" || status == "discarded") return status;
  return reply_code / 100 == 4 ? "deferred" : "refused";
}

}  // namespace hikyaku::metrics
