// Outcome log lines (DESIGN §4): "<txid>: client=[ip] from=<a> to=<b>,<c> size=N
// status=deferred reply="451 4.3.0 ..." delay=0.012s".
#include "app/outcome_log.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/auth_stage.hpp"
#include "app/message_metrics.hpp"
#include "core/log_fields.hpp"
#include "metrics/catalog.hpp"

namespace hikyaku::app {

namespace {
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\r' || c == '\n') ? ' ' : c;
  }
  return out + "\"";
}

// The message's Message-ID (RFC 5322 §3.6.4) for the log, made safe and bounded; "none" when it
// has none (Postfix logs message-id= the same way, so a sender's complaint can be grepped).
std::string message_id(const core::Message& msg) {
  const auto fields = msg.find("Message-ID");
  if (fields.empty()) return "none";
  std::string id = log_safe(msg.field_value(*fields.front()));
  const auto start = id.find_first_not_of(' ');
  id = start == std::string::npos ? std::string() : id.substr(start);
  while (!id.empty() && id.back() == ' ') id.pop_back();
  if (id.size() > 200) id = id.substr(0, 200) + "...";
  for (char& c : id) {
    if (c == ' ' || c == '"') c = '_';  // one token in a key=value line
  }
  return id.empty() ? "none" : id;
}

std::string_view disposition_name(routing::Disposition d) {
  switch (d) {
    case routing::Disposition::forward: return "forward";
    case routing::Disposition::drop: return "drop";
    case routing::Disposition::reject: return "reject";
    case routing::Disposition::unknown_user: return "unknown";
    case routing::Disposition::relay_denied: return "relay-denied";
  }
  return "?";
}
}  // namespace

void log_recipient_decision(const core::Envelope& env, const core::Address& rcpt,
                            const routing::RouteDecision& decision) {
  std::string to;
  for (const auto& d : decision.destinations) to += (to.empty() ? "" : ",") + d.str();
  if (decision.reply.positive()) {
    spdlog::info("{}: rcpt=<{}> action={} {}{}", env.transaction_id, rcpt.str(),
                 disposition_name(decision.disposition), decision.matched,
                 to.empty() ? "" : " to=" + to);
  } else {
    spdlog::info("{}: reject: RCPT from [{}]: {}; from=<{}> to=<{}> helo=<{}>", env.transaction_id,
                 env.session.client_ip, decision.reply.summary(), env.mail_from.str(), rcpt.str(),
                 env.session.helo);
  }
}

namespace {

// hikyaku_delivery_attempts_total{path="session"}: delivered when every recipient was
// accepted, failed when one was refused permanently, else deferred (as the queue counts).
void count_session_attempt(const relay::ConnectionOutcome& d) {
  bool all = !d.result.recipients.empty(), refused = false;
  for (const auto& r : d.result.recipients) {
    all = all && r.accepted();
    refused = refused || r.reply.permanent();
  }
  const std::string_view result = refused ? "failed" : all ? "delivered" : "deferred";
  metrics::process().deliveries.with({"session", result, metrics::delivery_reply_class(d.upstream_answered(), result)}).inc();
}

}  // namespace

void log_outcome(const core::Envelope& env, const core::Message& msg, const core::SmtpReply& reply,
                 std::string_view status, std::chrono::steady_clock::duration delay,
                 std::string_view from_rewrite) {
  std::string to;
  for (const auto& r : env.recipients) to += (to.empty() ? "<" : ",<") + r.str() + ">";
  const double seconds = std::chrono::duration<double>(delay).count();
  count_message(env, msg, reply, status);  // every message outcome passes here once
  metrics::process().data_reply.with({}).observe(seconds);
  spdlog::info("{}: client=[{}] from=<{}> to={} message-id={} size={} tls={} status={} reply={} delay={:.3f}s{}{}",
               env.transaction_id, env.session.client_ip, env.mail_from.str(), to, message_id(msg), msg.size(),
               env.session.tls ? env.session.tls_version : "no", status, quoted(reply.summary()),
               seconds, from_rewrite.empty() ? "" : " from_rewrite=", log_safe(from_rewrite));
}

void log_delivery(const core::Envelope& env, const core::Message& msg, const core::Address& sender,
                  const std::vector<relay::DomainOutcome>& outcomes, const core::SmtpReply& reply,
                  std::string_view status, std::chrono::steady_clock::duration delay,
                  std::chrono::steady_clock::duration checks, const std::vector<bool>& unfinished,
                  std::string_view from_rewrite) {
  log_outcome(env, msg, reply, status, delay, from_rewrite);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    const auto& d = o.decided;
    if (i >= unfinished.size() || !unfinished[i]) count_session_attempt(d);
    std::string to;
    for (const auto& r : d.result.recipients) {
      to += (to.empty() ? "<" : ",<") + r.recipient.str() + ">";
    }
    std::string upstream_reply;
    if (d.result.data_reply) {
      upstream_reply = d.result.data_reply->summary();
    } else if (!d.result.recipients.empty()) {
      upstream_reply = d.result.recipients.front().reply.summary();
    }
    // tls_policy: what governed the hop (RFC 8460 policy types: tlsa, sts, no-policy-found).
    spdlog::info("{}: sender=<{}> to={} domain={} relay={} delays={} tls={} tls_policy={} reused={} reply={}{}",
                 env.transaction_id, sender.str(), to, o.domain, core::relay_field(d.host, d.endpoint),
                 core::delays_field(checks, {}, o.setup, o.transmission), d.tls ? d.tls_version : "no",
                 relay::to_string(o.tls_plan.policy_type), d.reused ? "yes" : "no", quoted(upstream_reply),
                 // RFC 1047: the message was sent but its reply never came; a retry may duplicate.
                 d.result.maybe_delivered ? " maybe_delivered=yes" : "");
    for (const auto& t : o.tried) spdlog::info("{}: domain={} tried {}", env.transaction_id, o.domain, t);
    if (!d.host.empty()) {
      auto& m = metrics::process();
      const auto secs = [](std::chrono::steady_clock::duration x) { return std::chrono::duration<double>(x).count(); };
      m.delivery_stage.with({"checks"}).observe(secs(checks));
      m.delivery_stage.with({"connect"}).observe(secs(o.setup));
      m.delivery_stage.with({"transmit"}).observe(secs(o.transmission));
      m.tls.with({"out", d.tls ? std::string_view(d.tls_version) : std::string_view("none"), "ok"}).inc();
      if (d.result.data_reply && d.result.data_reply->positive()) {
        m.end_to_end.with({"session"}).observe(secs(checks + o.setup + o.transmission));
      }
    }
  }
}

}  // namespace hikyaku::app
