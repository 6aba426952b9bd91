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
// Postfix's relay= field: "mx.example.net[2001:db8::25]:25" from the host name and the
// endpoint ("[2001:db8::25]:25" or "192.0.2.1:25"); "none" when no host was reached.
std::string relay_field(std::string_view host, std::string_view endpoint);

void log_outcome(const core::Envelope& env, const core::Message& msg, const core::SmtpReply& reply,
                 std::string_view status, std::chrono::steady_clock::duration delay);
// The outcome of a forwarded message: the line above plus, per destination domain, the
// upstream host, address, TLS, its reply, the recipients and every address left on the way.
void log_delivery(const core::Envelope& env, const core::Message& msg, const core::Address& sender,
                  const std::vector<relay::DomainOutcome>& outcomes, const core::SmtpReply& reply,
                  std::string_view status, std::chrono::steady_clock::duration delay);

}  // namespace hikyaku::app
