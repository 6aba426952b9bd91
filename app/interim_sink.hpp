// The message sink the binary uses until the relay lands: recipients are routed at RCPT
// (RFC 5321 §4.1.1.3), and a message for any forwarded recipient is answered
// "451 4.3.0 forwarding not available" (an honest temporary failure: the sender keeps it).
#pragma once
#include <memory>

#include "config/config.hpp"
#include "routing/router.hpp"
#include "smtpd/message_sink.hpp"

namespace hikyaku::app {

class InterimSink : public smtpd::MessageSink {
 public:
  InterimSink(std::shared_ptr<const config::Config> config,
              std::shared_ptr<const routing::Router> router)
      : config_(std::move(config)), router_(std::move(router)) {}

  asio::awaitable<core::SmtpReply> on_rcpt(const core::Envelope& env,
                                           const core::Address& rcpt) override;
  asio::awaitable<core::SmtpReply> on_message(const core::Envelope& env,
                                              const core::Message& msg) override;

 private:
  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<const routing::Router> router_;
};

}  // namespace hikyaku::app
