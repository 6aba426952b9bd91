// What a received message adds to the metrics (docs/metrics.md): its outcome overall and per
// served recipient domain, its size and recipient count, and its authentication verdicts.
#pragma once
#include <string_view>

#include "auth/results.hpp"
#include "core/envelope.hpp"
#include "core/message.hpp"
#include "core/smtp_reply.hpp"

namespace hikyaku::app {

// `status` is the outcome log's word (sent, queued, deferred, refused, bounced, discarded,
// spool-failed); `reply` what the client was told.
void count_message(const core::Envelope& env, const core::Message& msg, const core::SmtpReply& reply,
                   std::string_view status);
void count_auth(const auth::AuthResults& results);

}  // namespace hikyaku::app
