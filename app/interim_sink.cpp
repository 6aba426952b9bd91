// InterimSink: routing decisions at RCPT; at end of DATA, dropped-only messages are accepted
// and discarded, anything to forward gets 451 4.3.0 until the relay exists. One log line each.
#include "app/interim_sink.hpp"

#include "app/outcome_log.hpp"

namespace hikyaku::app {

asio::awaitable<core::SmtpReply> InterimSink::on_rcpt(const core::Envelope& env,
                                                      const core::Address& rcpt) {
  auto decision = router_->route(env, rcpt);
  log_recipient_decision(env, rcpt, decision);
  co_return decision.reply;
}

asio::awaitable<core::SmtpReply> InterimSink::on_message(const core::Envelope& env,
                                                         const core::Message& msg) {
  const auto start = std::chrono::steady_clock::now();
  size_t to_forward = 0;
  for (const auto& rcpt : env.recipients) {
    if (router_->route(env, rcpt).disposition == routing::Disposition::forward) ++to_forward;
  }
  core::SmtpReply reply =
      to_forward == 0
          ? core::SmtpReply::make(250, "2.0.0", "Ok: " + env.transaction_id + " accepted and discarded")
          : core::SmtpReply::make(451, "4.3.0", "Error: forwarding not available, try again later");
  log_outcome(env, msg, reply, to_forward == 0 ? "discarded" : "deferred",
              std::chrono::steady_clock::now() - start);
  co_return reply;
}

}  // namespace hikyaku::app
