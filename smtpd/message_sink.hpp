// The smtpd module's only view of the rest of the relay (DESIGN §3): a recipient decision at
// RCPT and the one reply to DATA. RFC 5321 §3.3 (the mail transaction), §4.2.5 (the DATA reply).
#pragma once
#include <functional>
#include <memory>
#include <optional>

#include "core/envelope.hpp"
#include "core/message.hpp"
#include "core/smtp_reply.hpp"
#include "core/asio.hpp"

namespace hikyaku::smtpd {

struct MessageSink {
  virtual ~MessageSink() = default;
  // Before the greeting: a reply here (554 for a blocklisted client) refuses the connection,
  // which is then closed (RFC 5321 §3.1). nullopt: greet as usual.
  virtual asio::awaitable<std::optional<core::SmtpReply>> on_connect(const core::SessionInfo&) {
    co_return std::nullopt;
  }
  virtual asio::awaitable<core::SmtpReply> on_rcpt(const core::Envelope& env,
                                                   const core::Address& rcpt) = 0;
  virtual asio::awaitable<core::SmtpReply> on_message(const core::Envelope& env,
                                                      const core::Message& msg) = 0;
};

}  // namespace hikyaku::smtpd
