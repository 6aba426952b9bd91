// The log lines postmasters grep: one per recipient decision and one per message outcome
// (DESIGN §4), key=value pairs in Postfix's style. Values are quoted, never raw CR/LF.
#pragma once
#include <chrono>
#include <string_view>

#include "core/envelope.hpp"
#include "core/message.hpp"
#include "core/smtp_reply.hpp"
#include "routing/router.hpp"

namespace hikyaku::app {

void log_recipient_decision(const core::Envelope& env, const core::Address& rcpt,
                            const routing::RouteDecision& decision);
void log_outcome(const core::Envelope& env, const core::Message& msg, const core::SmtpReply& reply,
                 std::string_view status, std::chrono::steady_clock::duration delay);

}  // namespace hikyaku::app
