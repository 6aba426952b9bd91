// The log lines postmasters grep: one per recipient decision and one per message outcome
// (DESIGN §4), key=value pairs in Postfix's style. Values are quoted, never raw CR/LF.
#pragma once
#include <chrono>
#include <string_view>

#include "core/envelope.hpp"
#include "core/message.hpp"
#include "core/smtp_reply.hpp"
#include "relay/domain_delivery.hpp"
#include "routing/router.hpp"

namespace hikyaku::app {

void log_recipient_decision(const core::Envelope& env, const core::Address& rcpt,
                            const routing::RouteDecision& decision);
// `from_rewrite`: the From rewrite decision's reason word (app/from_rewrite_decision), logged
// as from_rewrite=WORD when given (the words that rewrite are "always" and "spf-only-aligned").
void log_outcome(const core::Envelope& env, const core::Message& msg, const core::SmtpReply& reply,
                 std::string_view status, std::chrono::steady_clock::duration delay,
                 std::string_view from_rewrite = {});
// The outcome of a forwarded message: the line above plus, per destination domain, the
// upstream host, address, TLS, delays= (`checks`: from the end of data to the hand-over to the
// destinations; no queue wait in the session), its reply, the recipients and every address
// left on the way. unfinished[i] marks outcomes[i] as a delivery still under way (the queue
// counts its attempt when it ends); the others count as session delivery attempts.
void log_delivery(const core::Envelope& env, const core::Message& msg, const core::Address& sender,
                  const std::vector<relay::DomainOutcome>& outcomes, const core::SmtpReply& reply,
                  std::string_view status, std::chrono::steady_clock::duration delay,
                  std::chrono::steady_clock::duration checks, const std::vector<bool>& unfinished = {},
                  std::string_view from_rewrite = {});

}  // namespace hikyaku::app
