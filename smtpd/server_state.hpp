// Internal: ServerMachine, the state of one ServerProtocol (whose Impl derives from it), shared
// by the core machine (server_protocol.cpp) and the command handlers (command_handlers.cpp).
// RFC 5321 §4.1.4 (command order), §3.3 (the mail transaction), RFC 3207 §4.2 (reset after TLS).
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "smtpd/command_counters.hpp"
#include "smtpd/command_parser.hpp"
#include "smtpd/data_reader.hpp"
#include "smtpd/line_reader.hpp"
#include "smtpd/server_protocol.hpp"

namespace hikyaku::smtpd {

// The one state enum. The session states (connected → ready → transaction) and the waits for
// the driver (rcpt_check, data, delivery, tls_handshake) are all here; closed is final.
enum class State {
  connected,      // greeted; no HELO/EHLO yet (again after TLS starts)
  ready,          // HELO/EHLO done, no transaction
  transaction,    // MAIL accepted; RCPTs and DATA allowed
  rcpt_check,     // CheckRecipient asked; input waits for recipient_checked()
  data,           // reading the message after 354
  delivery,       // DeliverMessage asked; input waits for message_delivered()
  tls_handshake,  // StartTls asked; waits for tls_started() / tls_failed()
  closed,         // Close queued; nothing more happens
};
std::string_view state_name(State s);

enum class ShutdownMode { none, graceful, immediate };

// A command's pure check either yields what its effect needs or the reply refusing it.
template <class T>
using Checked = core::Expected<T, core::SmtpReply>;

// The machine behind ServerProtocol (its Impl derives from this).
struct ServerMachine {
  ServerMachine(ProtocolSettings settings, core::SessionInfo session, std::chrono::milliseconds command_timeout,
       std::chrono::milliseconds data_timeout);
  ~ServerMachine();
  ServerMachine(const ServerMachine&) = delete;
  ServerMachine& operator=(const ServerMachine&) = delete;

  // --- core machine (server_protocol.cpp) ---
  void transition(State to);  // the one place the state changes
  void send(const core::SmtpReply& reply, std::string note = {});  // note: for the log
  void fail(const core::SmtpReply& reply, std::string note = {});  // counted against max_errors
  bool junk_command();                      // counts one; false: the limit closed the session
  void close_for(std::string_view limit, const core::SmtpReply& reply);  // 421, then Close
  void request(Action action);              // CheckRecipient / DeliverMessage / StartTls
  void close();
  void drop_requests();                     // pending requests never handed to the driver
  void maybe_shut_down();
  bool step();                              // handles one unit of input; false: needs input
  void on_line(std::string_view line);
  void on_data_end();
  void account_data();                      // the reservation follows what the DATA holds
  void release_reserved();
  void reset_transaction();                 // RFC 5321 §4.1.1.5: clears the envelope, keeps HELO
  void end_transaction();                   // reset, back to ready, then a pending shutdown
  bool helo_done() const { return state_ != State::connected; }
  bool tls_offered() const { return settings_.tls_available && !session_.tls; }
  std::chrono::milliseconds input_timeout() const {
    return state_ == State::data ? data_timeout_ : command_timeout_;
  }

  // --- commands (command_handlers.cpp): a pure check, then the effect ---
  void dispatch(const Command& cmd);
  void cmd_hello(std::string_view arg, bool esmtp);
  void cmd_mail(std::string_view arg);
  void cmd_rcpt(std::string_view arg);
  void cmd_data(std::string_view arg);
  void cmd_rset(std::string_view arg);
  void cmd_quit(std::string_view arg);
  void cmd_vrfy(std::string_view arg);
  void cmd_starttls(std::string_view arg);
  core::SmtpReply ehlo_reply() const;

  ProtocolSettings settings_;
  std::chrono::milliseconds command_timeout_;
  std::chrono::milliseconds data_timeout_;
  core::SessionInfo session_;
  core::Envelope envelope_;
  core::Message message_;
  State state_ = State::connected;
  std::deque<Action> pending_;       // what next() returns, in order
  std::string input_;                // bytes fed and not yet consumed, from input_pos_
  size_t input_pos_ = 0;
  LineReader lines_;
  std::optional<DataReader> data_;
  std::optional<core::Address> rcpt_;  // the recipient under CheckRecipient
  bool outstanding_ = false;         // a request was handed out and awaits its answer
  size_t errors_ = 0;
  uint64_t reserved_ = 0;            // bytes of settings_.inflight this transaction holds
  size_t junk_ = 0;                  // junk commands since the last delivered message
  std::string_view limit_reached_;   // the limit that closed the session
  CommandCounters counters_;         // for the disconnect log line
  std::optional<Verb> verb_;         // the command whose final reply is still to come
  bool sink_reply_ = false;          // send() is passing on the sink's reply
  uint64_t transactions_ = 0;        // per-session counter for transaction ids
  ShutdownMode shutdown_ = ShutdownMode::none;
};

}  // namespace hikyaku::smtpd
