// The ESMTP server state machine, sans I/O: bytes in, replies and actions out.
// RFC 5321 §3-4 (commands, order, replies), RFC 1869/5321 §4.1.1.1 (EHLO), RFC 2920 (PIPELINING),
// RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 2034 (ENHANCEDSTATUSCODES),
// RFC 3207 (STARTTLS). The per-connection coroutine (smtpd/session.cpp) drives it.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "config/config.hpp"
#include "core/envelope.hpp"
#include "core/message.hpp"
#include "core/smtp_reply.hpp"
#include "smtpd/inflight_budget.hpp"

namespace hikyaku::smtpd {

struct ProtocolSettings {
  std::string hostname;             // in the banner and EHLO reply
  size_t max_command_line = 512;    // octets including CRLF
  size_t max_text_line = 1000;      // octets including CRLF
  uint64_t max_message_size = 26214400;
  size_t max_recipients = 100;
  size_t max_hops = 50;             // Received: fields a message may carry (RFC 5321 §6.3)
  size_t max_errors = 10;
  size_t max_junk_commands = 100;   // NOOP/RSET/VRFY/HELP/EXPN between delivered messages; 0: none
  bool tls_available = false;       // STARTTLS offered (until TLS is on)
  // The process-wide budget of message bytes in memory (must outlive the protocol); the
  // message being read and then delivered holds its share until the transaction ends. Null:
  // no budget.
  InflightBudget* inflight = nullptr;
  static ProtocolSettings from(const config::ServerConfig& server);
};

// What the driver must do next. Polled with ServerProtocol::next().
namespace action {
struct Send {                                 // write these bytes (may be batched: PIPELINING)
  std::string bytes;
  std::string note;  // non-empty: why this refusal was given, for the log (the reply is shorter)
  // A refusal of a command by the protocol itself, for the log: "MAIL: 555 5.5.4 ..." (the
  // sink logs its own RCPT and DATA decisions). Empty for every other reply.
  std::string refusal;
};
struct NeedInput { std::chrono::milliseconds timeout; };  // flush output, then read
struct CheckRecipient { core::Address rcpt; };  // ask the sink; answer with recipient_checked()
struct DeliverMessage {};                    // ask the sink; answer with message_delivered()
struct StartTls {};                          // flush output, do the handshake, then tls_started()
struct Close {};                             // flush output and close the connection
}  // namespace action
using Action = std::variant<action::Send, action::NeedInput, action::CheckRecipient,
                            action::DeliverMessage, action::StartTls, action::Close>;

class ServerProtocol {
 public:
  ServerProtocol(ProtocolSettings settings, core::SessionInfo session,
                 std::chrono::milliseconds command_timeout, std::chrono::milliseconds data_timeout);
  ~ServerProtocol();
  ServerProtocol(ServerProtocol&&) noexcept;
  ServerProtocol& operator=(ServerProtocol&&) noexcept;

  // Queues the 220 greeting. Call once before next().
  void start();
  // Bytes read from the client.
  void feed(std::string_view bytes);
  // The client closed its side (EOF): the machine ends the session.
  void end_of_input();
  // The read timed out: queues "421 4.4.2 ... timeout" and Close.
  void timed_out();
  // The session has lived past its time limit (the driver keeps the clock): queues
  // "421 4.4.2 ... session time limit exceeded" and Close.
  void session_expired();
  // Shutting down. Not immediate: "421 4.3.2 <host> Service shutting down" and Close are queued
  // at once when no transaction is open, else as soon as the current transaction ends
  // (delivered, refused or RSET). Immediate (the grace period ran out): queued at once.
  void shutdown(bool immediate);
  // The next thing to do. Returns NeedInput when all buffered input is consumed.
  Action next();

  // Answers to CheckRecipient / DeliverMessage (the sink's reply, sent as given).
  void recipient_checked(const core::SmtpReply& reply);
  void message_delivered(const core::SmtpReply& reply);
  // The TLS handshake succeeded: per RFC 3207 §4.2 all state is reset and STARTTLS is no
  // longer offered. `session` carries the TLS facts. Input buffered before the handshake has
  // already been discarded when StartTls was returned.
  void tls_started(const core::SessionInfo& session);
  // The handshake failed: the session ends.
  void tls_failed();

  // The envelope of the transaction in progress (valid during CheckRecipient/DeliverMessage).
  const core::Envelope& envelope() const;
  // The message just received (valid during DeliverMessage).
  const core::Message& message() const;
  const core::SessionInfo& session() const;
  // True between MAIL and the end of the transaction (used to drain at shutdown).
  bool in_transaction() const;
  // Which limit closed the session ("too many errors", "too many junk commands", "timeout",
  // "session time limit"), for the log; empty while none has.
  std::string_view limit_reached() const;
  // Postfix-style counters of the commands so far: "ehlo=1 mail=1 rcpt=0/3 data=0/1 quit=1
  // commands=2/6" (accepted/given per verb), for the disconnect log line.
  std::string command_counts() const;
  // The client sent QUIT (the session ended as it should).
  bool quit_received() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hikyaku::smtpd
