// The core of the sans-I/O ESMTP server: input framing, the one state transition point, the
// output queue polled by next(), transactions, error counting, timeouts and shutdown.
// RFC 5321 §3.3 (transactions), §4.1.4 (order), §4.2 (replies), §4.5.3.2 (timeouts), §3.8 (421),
// RFC 2920 §3 (PIPELINING), RFC 3207 §4.2 (after TLS). Commands are in command_handlers.cpp.
#include "smtpd/server_protocol.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include <fmt/format.h>

#include "core/ascii.hpp"
#include "metrics/catalog.hpp"
#include "smtpd/command_counters.hpp"
#include "smtpd/replies.hpp"
#include "smtpd/server_state.hpp"

namespace hikyaku::smtpd {

std::string_view state_name(State s) {
  switch (s) {
    case State::connected: return "connected";
    case State::ready: return "ready";
    case State::transaction: return "transaction";
    case State::rcpt_check: return "rcpt_check";
    case State::data: return "data";
    case State::delivery: return "delivery";
    case State::tls_handshake: return "tls_handshake";
    case State::closed: return "closed";
  }
  return "?";
}

ProtocolSettings ProtocolSettings::from(const config::ServerConfig& server) {
  ProtocolSettings s;
  s.hostname = server.hostname;
  s.max_command_line = server.max_command_line;
  s.max_text_line = server.max_text_line;
  s.max_message_size = server.max_message_size;
  s.max_recipients = server.max_recipients;
  s.max_hops = server.max_hops;
  s.max_errors = server.max_errors;
  s.max_junk_commands = server.max_junk_commands;
  s.tls_available = server.tls.has_value();
  return s;
}

namespace {

// The transitions the machine may make (OpenSMTPD smtp_enter_state): anything may close.
bool allowed(State from, State to) {
  if (to == State::closed) return from != State::closed;
  switch (from) {
    case State::connected: return to == State::ready || to == State::tls_handshake;
    case State::ready:
      return to == State::ready || to == State::transaction || to == State::tls_handshake;
    case State::transaction:
      return to == State::ready || to == State::rcpt_check || to == State::data;
    case State::rcpt_check: return to == State::transaction;
    case State::data: return to == State::delivery || to == State::ready;
    case State::delivery: return to == State::ready;
    case State::tls_handshake: return to == State::connected;
    case State::closed: return false;
  }
  return false;
}

bool is_request(const Action& a) {
  return std::holds_alternative<action::CheckRecipient>(a) ||
         std::holds_alternative<action::DeliverMessage>(a) ||
         std::holds_alternative<action::StartTls>(a);
}

}  // namespace

struct ServerProtocol::Impl : ServerMachine {
  using ServerMachine::ServerMachine;
};

ServerMachine::ServerMachine(ProtocolSettings settings, core::SessionInfo session,
                           std::chrono::milliseconds command_timeout,
                           std::chrono::milliseconds data_timeout)
    : settings_(std::move(settings)),
      command_timeout_(command_timeout),
      data_timeout_(data_timeout),
      session_(std::move(session)),
      lines_(settings_.max_command_line) {
  envelope_.session = session_;
}

ServerMachine::~ServerMachine() { release_reserved(); }

// The budget is charged with the memory the message takes (its buffer, not only its octets),
// as it grows; a message that no longer fits is dropped and read to its end (452 at the end).
void ServerMachine::account_data() {
  if (settings_.inflight == nullptr || !data_) return;
  const uint64_t held = data_->held();
  if (held < reserved_) {
    settings_.inflight->release(reserved_ - held);
    reserved_ = held;
  } else if (held > reserved_) {
    if (settings_.inflight->try_reserve(held - reserved_)) {
      reserved_ = held;
    } else {
      data_->abandon();
      release_reserved();
    }
  }
}

void ServerMachine::release_reserved() {
  if (settings_.inflight != nullptr && reserved_ > 0) settings_.inflight->release(reserved_);
  reserved_ = 0;
}

void ServerMachine::transition(State to) {
  if (to == state_) return;
  assert(allowed(state_, to) && "invalid SMTP server state transition");
  state_ = to;
}

namespace {

// hikyaku_smtp_replies_total, _reply_codes_total and _error_replies_total: the command answered
// ("none" for the greeting and the replies no command asked for), the class, the code and, for
// 4xx and 5xx, the enhanced status code (bounded labels: catalog's fallbacks).
void count_reply(const std::optional<Verb>& verb, const core::SmtpReply& reply) {
  const int code = reply.code;
  auto& m = metrics::process();
  std::string command = verb ? std::string(verb_name(*verb)) : std::string("none");
  for (auto& c : command) c = core::ascii_lower(c);
  const std::string klass = fmt::format("{}xx", code / 100);
  const std::string code_text = std::to_string(code);
  m.replies.with({command, klass}).inc();
  m.reply_codes.with({code_text}).inc();
  if (code >= 400) m.error_replies.with({command, code_text, reply.enhanced}).inc();
}

}  // namespace

void ServerMachine::send(const core::SmtpReply& reply, std::string note) {
  if (state_ == State::closed) return;
  count_reply(verb_, reply);
  std::string refusal;
  if (verb_ && reply.code >= 400 && !sink_reply_) refusal = std::string(verb_name(*verb_)) + ": " + reply.summary();
  // The command's final reply (DATA's 354 is not one): counted for the disconnect line.
  if (verb_ && (reply.code < 300 || reply.code >= 400)) {
    if (reply.code < 300) counters_.accepted(*verb_);
    verb_.reset();
  }
  pending_.push_back(action::Send{reply.render(), std::move(note), std::move(refusal)});
}

// Postfix smtpd_hard_error_limit: a client that keeps failing is a scanner or broken.
void ServerMachine::fail(const core::SmtpReply& reply, std::string note) {
  if (state_ == State::closed) return;
  send(reply, std::move(note));
  ++errors_;
  if (settings_.max_errors != 0 && errors_ >= settings_.max_errors) {
    close_for("too many errors", replies::too_many_errors(settings_.hostname));
  }
}

// Postfix smtpd_junk_command_limit: a client that only sends commands doing no mail work
// (NOOP, RSET, VRFY, HELP, EXPN) holds a connection slot for nothing. The count restarts with
// every delivered message, so a client sending many messages (RSET before each) is not cut.
bool ServerMachine::junk_command() {
  if (state_ == State::closed) return false;
  if (settings_.max_junk_commands == 0 || ++junk_ <= settings_.max_junk_commands) return true;
  close_for("too many junk commands", replies::too_many_junk_commands(settings_.hostname));
  return false;
}

// RFC 5321 §3.8: a server that must end the session says 421 first.
void ServerMachine::close_for(std::string_view limit, const core::SmtpReply& reply) {
  if (state_ == State::closed) return;
  limit_reached_ = limit;
  drop_requests();
  send(reply);
  close();
}

void ServerMachine::request(Action action) {
  if (state_ == State::closed) return;
  pending_.push_back(std::move(action));
}

void ServerMachine::drop_requests() {
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(), is_request), pending_.end());
}

void ServerMachine::close() {
  if (state_ == State::closed) return;
  drop_requests();
  pending_.push_back(action::Close{});
  transition(State::closed);
  input_.clear();
  input_pos_ = 0;
  data_.reset();
  rcpt_.reset();
}

// A shutdown waits for an answer the driver owes us; a graceful one also lets the transaction
// finish (delivered, refused or RSET).
void ServerMachine::maybe_shut_down() {
  if (shutdown_ == ShutdownMode::none || state_ == State::closed || outstanding_) return;
  const bool in_transaction = state_ == State::transaction || state_ == State::rcpt_check ||
                              state_ == State::data || state_ == State::delivery;
  if (shutdown_ == ShutdownMode::graceful && in_transaction) return;
  drop_requests();
  send(replies::shutting_down(settings_.hostname));
  close();
}

void ServerMachine::reset_transaction() {
  envelope_ = core::Envelope{};
  envelope_.session = session_;
  message_ = core::Message{};
  rcpt_.reset();
  data_.reset();
  release_reserved();
}

void ServerMachine::end_transaction() {
  reset_transaction();
  if (state_ == State::closed) return;
  transition(State::ready);
  maybe_shut_down();
}

bool ServerMachine::step() {
  const std::string_view in(input_.data() + input_pos_, input_.size() - input_pos_);
  switch (state_) {
    case State::connected:
    case State::ready:
    case State::transaction: {
      const LineEvent ev = lines_.next(in);
      // Copy the line out: a command (STARTTLS) may discard the input buffer.
      const std::string line(ev.line);
      input_pos_ += ev.consumed;
      switch (ev.kind) {
        case LineEvent::Kind::need_more: return ev.consumed > 0;
        case LineEvent::Kind::too_long: fail(replies::line_too_long()); return true;
        case LineEvent::Kind::line: on_line(line); return true;
      }
      return false;
    }
    case State::data: {
      if (in.empty()) return false;
      input_pos_ += data_->feed(in);
      account_data();
      if (data_->done()) on_data_end();
      return true;
    }
    case State::rcpt_check:
    case State::delivery:
    case State::tls_handshake:
    case State::closed:
      return false;
  }
  return false;
}

// RFC 5321 §2.3.8: CR and LF appear only together as the line end; NUL never.
void ServerMachine::on_line(std::string_view line) {
  if (has_forbidden_octet(line)) {
    fail(replies::bad_octet());
    return;
  }
  dispatch(parse_command(line));
}

void ServerMachine::on_data_end() {
  const DataOutcome outcome = data_->outcome();
  if (outcome == DataOutcome::ok) {
    message_ = core::Message(data_->take_message());
    data_.reset();
    // RFC 5321 §6.3: counting Received: fields detects loops; past the limit the message is
    // refused here, before any upstream sees it again.
    const size_t hops = message_.find("Received").size();
    if (hops > settings_.max_hops) {
      message_ = core::Message{};
      fail(replies::too_many_hops(),
           "message refused: " + std::to_string(hops) + " Received: fields, over max_hops " +
               std::to_string(settings_.max_hops) + " (mail loop, RFC 5321 6.3)");
      end_transaction();
      return;
    }
    transition(State::delivery);
    request(action::DeliverMessage{});
    return;
  }
  switch (outcome) {
    case DataOutcome::bare_cr_lf: fail(replies::data_bare_cr_lf()); break;
    case DataOutcome::line_too_long:
      // §4.5.3.1.6; refused, not rewrapped: a forwarder that changed the body would break the
      // author's DKIM signature (DESIGN §1 step 5). The reply is one valid after DATA (§4.3.2).
      fail(replies::data_line_too_long(settings_.max_text_line),
           "message refused: line " + std::to_string(data_->long_line_number()) + " of the data has " +
               std::to_string(data_->long_line_length()) + " octets, over max_text_line " +
               std::to_string(settings_.max_text_line) + " (RFC 5321 4.5.3.1.6)");
      break;
    case DataOutcome::too_big: fail(replies::too_big()); break;
    // Not the client's error: not counted against max_errors.
    case DataOutcome::over_budget: send(replies::insufficient_storage()); break;
    case DataOutcome::reading:
    case DataOutcome::ok: break;
  }
  data_.reset();
  end_transaction();  // §4.1.1.4: the transaction ends with the reply to the end of data
}

// --- the public face ---

ServerProtocol::ServerProtocol(ProtocolSettings settings, core::SessionInfo session,
                               std::chrono::milliseconds command_timeout,
                               std::chrono::milliseconds data_timeout)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(session), command_timeout,
                                   data_timeout)) {}
ServerProtocol::~ServerProtocol() = default;
ServerProtocol::ServerProtocol(ServerProtocol&&) noexcept = default;
ServerProtocol& ServerProtocol::operator=(ServerProtocol&&) noexcept = default;

void ServerProtocol::start() { impl_->send(replies::greeting(impl_->settings_.hostname)); }

void ServerProtocol::feed(std::string_view bytes) {
  auto& s = *impl_;
  // RFC 3207 §4.2: nothing sent before the handshake completes may be read as a command.
  if (s.state_ == State::closed || s.state_ == State::tls_handshake || bytes.empty()) return;
  if (s.input_pos_ == s.input_.size()) {
    s.input_.clear();
  } else if (s.input_pos_ > 0) {
    s.input_.erase(0, s.input_pos_);
  }
  s.input_pos_ = 0;
  s.input_.append(bytes);
}

void ServerProtocol::end_of_input() { impl_->close(); }

// RFC 5321 §4.5.3.2: the server may close after its timeout; §3.8: with a 421 first.
void ServerProtocol::timed_out() {
  impl_->close_for("timeout", replies::timeout(impl_->settings_.hostname));
}

// RFC 5321 §4.5.3.2 bounds each wait but not their number: a client trickling a byte before
// each deadline would hold its slot for ever. §3.8: 421 before closing.
void ServerProtocol::session_expired() {
  impl_->close_for("session time limit", replies::session_time_exceeded(impl_->settings_.hostname));
}

void ServerProtocol::shutdown(bool immediate) {
  auto& s = *impl_;
  if (s.state_ == State::closed) return;
  const ShutdownMode mode = immediate ? ShutdownMode::immediate : ShutdownMode::graceful;
  if (mode > s.shutdown_) s.shutdown_ = mode;
  s.maybe_shut_down();
}

Action ServerProtocol::next() {
  auto& s = *impl_;
  while (s.pending_.empty() && s.step()) {
  }
  if (!s.pending_.empty()) {
    Action a = std::move(s.pending_.front());
    s.pending_.pop_front();
    if (is_request(a)) s.outstanding_ = true;
    return a;
  }
  switch (s.state_) {
    case State::closed: return action::Close{};
    // The driver asked again without answering: repeat the question.
    case State::rcpt_check: return action::CheckRecipient{s.rcpt_.value_or(core::Address{})};
    case State::delivery: return action::DeliverMessage{};
    case State::tls_handshake: return action::StartTls{};
    case State::connected:
    case State::ready:
    case State::transaction:
    case State::data:
      break;
  }
  return action::NeedInput{s.input_timeout()};
}

void ServerProtocol::recipient_checked(const core::SmtpReply& reply) {
  auto& s = *impl_;
  if (s.state_ != State::rcpt_check) return;
  s.outstanding_ = false;
  s.transition(State::transaction);
  s.sink_reply_ = true;  // logged by the sink
  if (reply.code >= 200 && reply.code < 300) {
    if (s.rcpt_) s.envelope_.recipients.push_back(std::move(*s.rcpt_));
    s.send(reply);
  } else if (reply.code >= 400) {
    s.fail(reply);  // refusals count towards max_errors (directory harvesting)
  } else {
    s.send(reply);
  }
  s.sink_reply_ = false;
  s.rcpt_.reset();
  s.maybe_shut_down();
}

void ServerProtocol::message_delivered(const core::SmtpReply& reply) {
  auto& s = *impl_;
  if (s.state_ != State::delivery) return;
  s.outstanding_ = false;
  s.sink_reply_ = true;  // logged by the sink
  s.send(reply);
  s.sink_reply_ = false;
  if (reply.code >= 200 && reply.code < 300) s.junk_ = 0;
  s.end_transaction();
}

// RFC 3207 §4.2: "the server MUST discard any knowledge obtained from the client, such as the
// argument to the EHLO command, which was not obtained from the TLS negotiation itself."
void ServerProtocol::tls_started(const core::SessionInfo& session) {
  auto& s = *impl_;
  if (s.state_ != State::tls_handshake) return;
  s.outstanding_ = false;
  s.session_ = session;
  s.session_.tls = true;
  s.session_.helo.clear();
  s.session_.esmtp = false;
  s.reset_transaction();
  s.lines_.reset();
  s.input_.clear();
  s.input_pos_ = 0;
  s.transition(State::connected);
  s.maybe_shut_down();
}

void ServerProtocol::tls_failed() {
  auto& s = *impl_;
  if (s.state_ == State::closed) return;
  s.outstanding_ = false;
  s.close();
}

const core::Envelope& ServerProtocol::envelope() const { return impl_->envelope_; }
const core::Message& ServerProtocol::message() const { return impl_->message_; }
const core::SessionInfo& ServerProtocol::session() const { return impl_->session_; }

std::string_view ServerProtocol::limit_reached() const { return impl_->limit_reached_; }
std::string ServerProtocol::command_counts() const { return impl_->counters_.render(); }
bool ServerProtocol::quit_received() const { return impl_->counters_.given(Verb::quit) > 0; }

bool ServerProtocol::in_transaction() const {
  const State st = impl_->state_;
  return st == State::transaction || st == State::rcpt_check || st == State::data ||
         st == State::delivery;
}

}  // namespace hikyaku::smtpd
