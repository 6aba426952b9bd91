// The SMTP commands: each a pure check (state, syntax, limits → the refusal, or what the effect
// needs) followed by its effect. RFC 5321 §4.1.1.1-10 (commands), §4.1.4 (order), §3.5.3 (VRFY),
// RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 6531 §3.4, §3.6.2 (SMTPUTF8), RFC 3207 §4 (STARTTLS).
#include <string>

#include "smtpd/replies.hpp"
#include "smtpd/server_state.hpp"

namespace hikyaku::smtpd {

using core::SmtpReply;

namespace {

// RFC 5321 §4.1.1.1: the argument of HELO/EHLO is a Domain or an address literal, both
// US-ASCII (an internationalized name is sent as A-labels). Control octets and 8-bit octets
// are refused, so the name we keep (and write into Received:, Authentication-Results:,
// logs) is always printable 7-bit text.
bool printable_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool has_non_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return true;
  }
  return false;
}

core::Unexpected<SmtpReply> refuse(SmtpReply r) { return core::unexpected(std::move(r)); }

struct MailPlan {
  core::Address from;
  MailParameters params;
};

// RFC 5321 §4.1.1.2 MAIL FROM:<reverse-path> [SP Mail-parameters].
Checked<MailPlan> check_mail(const ServerMachine& s, std::string_view arg) {
  // §4.1.4: MAIL only after EHLO/HELO, and not inside a transaction.
  if (!s.helo_done()) return refuse(replies::need_helo());
  if (s.state_ != State::ready) return refuse(replies::nested_mail());
  const PathArgumentResult split = split_path_argument(arg, "FROM:");
  if (!split.value) {
    return refuse(split.error == PathArgumentError::syntax ? replies::syntax("MAIL FROM:<address>")
                                                           : replies::bad_sender());
  }
  // RFC 1869 §6 / RFC 5321 §4.1.1.11: parameters are service extensions, so EHLO only.
  if (!split.value->params.empty() && !s.session_.esmtp) {
    return refuse(replies::parameters_need_ehlo());
  }
  const auto params = parse_mail_parameters(split.value->params);
  if (!params) return refuse(replies::bad_parameters());
  // RFC 6531 §3.6.2: a non-ASCII address without SMTPUTF8 is refused with 553 5.6.7.
  if (!params->smtputf8 && has_non_ascii(split.value->path)) {
    return refuse(replies::utf8_needs_smtputf8());
  }
  core::PathOptions opts;
  opts.allow_null = true;
  opts.allow_utf8 = params->smtputf8;
  auto from = core::parse_path(split.value->path, opts);
  if (!from) {
    return refuse(from.error() == core::AddressError::utf8_not_allowed
                      ? replies::utf8_needs_smtputf8()
                      : replies::bad_sender());
  }
  // RFC 1870 §6: a declared size over the limit is refused at MAIL with 552 (5.3.4).
  if (params->size && *params->size > s.settings_.max_message_size) {
    return refuse(replies::too_big());
  }
  return MailPlan{std::move(*from), *params};
}

// RFC 5321 §4.1.1.3 RCPT TO:<forward-path>; no RCPT parameters are offered.
Checked<core::Address> check_rcpt(const ServerMachine& s, std::string_view arg) {
  if (!s.helo_done()) return refuse(replies::need_helo());
  if (s.state_ != State::transaction) return refuse(replies::need_mail());
  const PathArgumentResult split = split_path_argument(arg, "TO:");
  if (!split.value) {
    return refuse(split.error == PathArgumentError::syntax ? replies::syntax("RCPT TO:<address>")
                                                           : replies::bad_recipient());
  }
  if (!split.value->params.empty()) return refuse(replies::bad_parameters());
  if (!s.envelope_.smtputf8 && has_non_ascii(split.value->path)) {
    return refuse(replies::utf8_needs_smtputf8());
  }
  core::PathOptions opts;
  opts.allow_null = false;
  opts.allow_utf8 = s.envelope_.smtputf8;
  opts.allow_bare_postmaster = true;  // §4.1.1.3: "<Postmaster>" must be accepted
  auto rcpt = core::parse_path(split.value->path, opts);
  if (!rcpt) {
    return refuse(rcpt.error() == core::AddressError::utf8_not_allowed
                      ? replies::utf8_needs_smtputf8()
                      : replies::bad_recipient());
  }
  // §4.5.3.1.10: 452 4.5.3 once the recipient buffer is full; the client sends the rest later.
  if (s.envelope_.recipients.size() >= s.settings_.max_recipients) {
    return refuse(replies::too_many_recipients());
  }
  return std::move(*rcpt);
}

// RFC 5321 §4.1.1.4 DATA; §3.3: 503 without MAIL, 554 when no recipient was accepted.
Checked<bool> check_data(const ServerMachine& s, std::string_view arg) {
  if (!s.helo_done()) return refuse(replies::need_helo());
  if (s.state_ != State::transaction) return refuse(replies::need_mail());
  if (!arg.empty()) return refuse(replies::syntax("DATA"));
  if (s.envelope_.recipients.empty()) return refuse(replies::no_recipients());
  return true;
}

// RFC 3207 §4: 501 with arguments; 454/502 when TLS cannot be offered; not twice; and not in
// the middle of a transaction (the envelope would straddle the plaintext and TLS parts).
Checked<bool> check_starttls(const ServerMachine& s, std::string_view arg) {
  if (!arg.empty()) return refuse(replies::syntax("STARTTLS"));
  if (!s.settings_.tls_available) return refuse(replies::tls_not_available());
  if (s.session_.tls) return refuse(replies::tls_already_active());
  if (s.state_ != State::connected && s.state_ != State::ready) {
    return refuse(replies::tls_in_transaction());
  }
  return true;
}

}  // namespace

void ServerMachine::dispatch(const Command& cmd) {
  counters_.issued(cmd.verb);
  verb_ = cmd.verb;
  const bool junk = cmd.verb == Verb::noop || cmd.verb == Verb::rset || cmd.verb == Verb::vrfy ||
                    cmd.verb == Verb::help || cmd.verb == Verb::expn;
  if (junk && !junk_command()) return;
  switch (cmd.verb) {
    case Verb::helo: cmd_hello(cmd.arg, false); return;
    case Verb::ehlo: cmd_hello(cmd.arg, true); return;
    case Verb::mail: cmd_mail(cmd.arg); return;
    case Verb::rcpt: cmd_rcpt(cmd.arg); return;
    case Verb::data: cmd_data(cmd.arg); return;
    case Verb::rset: cmd_rset(cmd.arg); return;
    case Verb::quit: cmd_quit(cmd.arg); return;
    case Verb::vrfy: cmd_vrfy(cmd.arg); return;
    case Verb::starttls: cmd_starttls(cmd.arg); return;
    // §4.1.1.9: NOOP's parameter, if any, is ignored.
    case Verb::noop: send(replies::ok()); return;
    // §3.5.3 / §7.3: EXPN exposes lists; not offered.
    case Verb::expn: fail(replies::not_implemented()); return;
    case Verb::help: send(replies::help()); return;
    // BDAT (CHUNKING) and everything else: not recognised.
    case Verb::unknown: fail(replies::unrecognized()); return;
  }
}

// RFC 5321 §4.1.1.1: EHLO/HELO name the client; §4.1.4: they also end any open transaction.
void ServerMachine::cmd_hello(std::string_view arg, bool esmtp) {
  if (arg.empty()) {
    fail(replies::syntax(esmtp ? "EHLO hostname" : "HELO hostname"));
    return;
  }
  if (!printable_ascii(arg)) {
    fail(replies::bad_helo_octets());
    return;
  }
  const bool had_transaction = state_ == State::transaction;
  session_.helo = std::string(arg);
  session_.esmtp = esmtp;
  reset_transaction();
  transition(State::ready);
  send(esmtp ? ehlo_reply() : replies::helo(settings_.hostname));
  if (had_transaction) maybe_shut_down();
}

// RFC 5321 §4.1.1.1 (EHLO reply), RFC 2920, 1870, 6152, 6531, 2034, 3207 (the keywords).
SmtpReply ServerMachine::ehlo_reply() const {
  SmtpReply r;
  r.code = 250;
  r.lines = {settings_.hostname,
             "PIPELINING",
             "SIZE " + std::to_string(settings_.max_message_size),
             "8BITMIME",
             "SMTPUTF8",
             "ENHANCEDSTATUSCODES"};
  if (tls_offered()) r.lines.push_back("STARTTLS");
  return r;
}

void ServerMachine::cmd_mail(std::string_view arg) {
  auto plan = check_mail(*this, arg);
  if (!plan) {
    fail(plan.error());
    return;
  }
  ++transactions_;
  reset_transaction();
  envelope_.transaction_id = session_.session_id + "." + std::to_string(transactions_);
  envelope_.mail_from = std::move(plan->from);
  envelope_.declared_size = plan->params.size;
  envelope_.body = plan->params.body;
  envelope_.smtputf8 = plan->params.smtputf8;
  transition(State::transaction);
  send(replies::mail_ok());
}

void ServerMachine::cmd_rcpt(std::string_view arg) {
  auto rcpt = check_rcpt(*this, arg);
  if (!rcpt) {
    fail(rcpt.error());
    return;
  }
  // Input stops here until the driver answers with recipient_checked().
  rcpt_ = *rcpt;
  transition(State::rcpt_check);
  request(action::CheckRecipient{std::move(*rcpt)});
}

void ServerMachine::cmd_data(std::string_view arg) {
  auto ok = check_data(*this, arg);
  if (!ok) {
    fail(ok.error());
    return;
  }
  // RFC 3463 §3.4 / RFC 5321 §4.2.3: no memory left for another message now; the transaction
  // stays open, the client may try DATA again or later. Not counted as the client's error.
  if (settings_.inflight != nullptr && settings_.inflight->exhausted()) {
    send(replies::insufficient_storage());
    return;
  }
  // RFC 2920 §3.1: bytes after DATA in the same packet are the message; the reader takes them.
  data_.emplace(DataLimits{settings_.max_text_line, settings_.max_message_size});
  transition(State::data);
  send(replies::start_data());
}

// RFC 5321 §4.1.1.5: RSET aborts the transaction; HELO state is kept.
void ServerMachine::cmd_rset(std::string_view arg) {
  if (!arg.empty()) {
    fail(replies::syntax("RSET"));
    return;
  }
  send(replies::ok());
  if (state_ == State::transaction) end_transaction();
}

// RFC 5321 §4.1.1.10: 221, then close.
void ServerMachine::cmd_quit(std::string_view arg) {
  if (!arg.empty()) {
    fail(replies::syntax("QUIT"));
    return;
  }
  send(replies::bye());
  close();
}

// RFC 5321 §3.5.3: 252 rather than revealing which mailboxes exist.
void ServerMachine::cmd_vrfy(std::string_view arg) {
  if (arg.empty()) {
    fail(replies::syntax("VRFY address"));
    return;
  }
  send(replies::vrfy());
}

void ServerMachine::cmd_starttls(std::string_view arg) {
  auto ok = check_starttls(*this, arg);
  if (!ok) {
    fail(ok.error());
    return;
  }
  send(replies::ready_for_tls());
  request(action::StartTls{});
  transition(State::tls_handshake);
  // RFC 3207 §5 / CVE-2011-0411: commands pipelined after STARTTLS in plaintext must not be
  // executed inside the TLS session; everything already buffered is thrown away.
  input_.clear();
  input_pos_ = 0;
  lines_.reset();
}

}  // namespace hikyaku::smtpd
