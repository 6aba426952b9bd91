// The smtpd module's only view of the rest of the relay (DESIGN §3): a recipient decision at
// RCPT and the one reply to DATA. RFC 5321 §3.3 (the mail transaction), §4.2.5 (the DATA reply).
#pragma once
#include <functional>
#include <memory>

#include "core/envelope.hpp"
#include "core/message.hpp"
#include "core/smtp_reply.hpp"
#include "smtpd/asio.hpp"

namespace hikyaku::smtpd {

struct MessageSink {
  virtual ~MessageSink() = default;
  virtual asio::awaitable<core::SmtpReply> on_rcpt(const core::Envelope& env,
                                                   const core::Address& rcpt) = 0;
  virtual asio::awaitable<core::SmtpReply> on_message(const core::Envelope& env,
                                                      const core::Message& msg) = 0;
};

}  // namespace hikyaku::smtpd
