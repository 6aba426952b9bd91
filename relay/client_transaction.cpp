// The transaction part of the sans-I/O SMTP client: checks before MAIL, MAIL/RCPT/DATA alone
// or pipelined, the dot-stuffed message, the final "." held for a two-phase commit (DESIGN §1
// step 7), and the per-recipient results.
// RFC 5321 §3.3 (transaction), §4.5.2 (transparency), RFC 2920 §3.1 (pipelined groups),
// RFC 1870 §6 (SIZE), RFC 6152 §3 (8BITMIME), RFC 6531 §3.4, §3.7 (SMTPUTF8).
#include <algorithm>

#include "relay/client_machine.hpp"

namespace hikyaku::relay {

namespace {

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// A path that could end or split a command line can never go on the wire.
bool safe_for_command(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string_view raw_of(const OutboundTransaction& tx) {
  return tx.message ? std::string_view(tx.message->raw()) : std::string_view{};
}

// Refusals decided before any command is sent; nullopt when the transaction can go ahead.
std::optional<core::SmtpReply> check_transaction(const OutboundTransaction& tx,
                                                 const Extensions& ext) {
  const std::string_view raw = raw_of(tx);
  // RFC 1870 §6: a client "SHOULD NOT transmit the message" larger than the declared maximum.
  if (ext.size && ext.size_limit > 0 && raw.size() > ext.size_limit) {
    return core::SmtpReply::make(552, "5.3.4",
                                 "Message size " + std::to_string(raw.size()) +
                                     " exceeds the upstream's fixed maximum of " +
                                     std::to_string(ext.size_limit));
  }
  // RFC 6152 §3: 8-bit data may only go to a server that offers 8BITMIME; we do not convert.
  if (!ext.eight_bit_mime && has_8bit(raw)) {
    return core::SmtpReply::make(554, "5.6.3",
                                 "Upstream lacks 8BITMIME; the message has 8-bit content");
  }
  // RFC 6531 §3.2: a message that needs SMTPUTF8 (UTF-8 sender, or UTF-8 header fields of a
  // message sent with SMTPUTF8) cannot go to a server without it.
  const bool utf8_header = tx.smtputf8 && tx.message && has_8bit(tx.message->header_block());
  if (!ext.smtputf8 && (tx.mail_from.utf8_local || utf8_header)) {
    return core::SmtpReply::make(553, "5.6.7", "Upstream lacks SMTPUTF8; the message needs it");
  }
  if (!safe_for_command(tx.mail_from.str_as_sent())) {
    return core::SmtpReply::make(553, "5.1.7", "Invalid sender address");
  }
  return std::nullopt;
}

}  // namespace

size_t dot_stuff(std::string_view raw, size_t pos, size_t max, bool& line_start, std::string& out) {
  const size_t end = pos + std::min(max, raw.size() - std::min(pos, raw.size()));
  while (pos < end) {
    // RFC 5321 §4.5.2: "If the first character [of a line] is a period, one additional period
    // is inserted at the beginning of the line."
    if (line_start && raw[pos] == '.') out.push_back('.');
    const size_t lf = raw.find('\n', pos);
    const size_t stop = (lf == std::string_view::npos || lf >= end) ? end : lf + 1;
    out.append(raw.substr(pos, stop - pos));
    line_start = raw[stop - 1] == '\n';
    pos = stop;
  }
  return pos;
}

void ClientMachine::begin(OutboundTransaction tx, EndOfData end) {
  Transaction t;
  t.hold = end == EndOfData::hold;
  t.results.resize(tx.recipients.size());
  t.accepted.resize(tx.recipients.size(), false);
  t.tx = std::move(tx);
  if (state != ClientState::ready && state != ClientState::idle) {
    txn = std::move(t);
    const auto reply = made_up(451, "4.4.2", "connection not ready for a transaction");
    for (size_t i = 0; i < txn->results.size(); ++i) decide(i, reply, false);
    const auto keep = state;
    finish_transaction();
    state = keep;
    return;
  }
  txn = std::move(t);
  if (auto refusal = check_transaction(txn->tx, ext)) {
    for (size_t i = 0; i < txn->results.size(); ++i) decide(i, *refusal, false);
  }
  bool any_utf8 = txn->tx.mail_from.utf8_local || txn->tx.smtputf8;
  for (size_t i = 0; i < txn->tx.recipients.size(); ++i) {
    if (txn->results[i]) continue;
    const auto& rcpt = txn->tx.recipients[i];
    if (!safe_for_command(rcpt.str())) {
      decide(i, core::SmtpReply::make(553, "5.1.3", "Invalid recipient address"), false);
    } else if (rcpt.utf8_local && !ext.smtputf8) {
      // RFC 6531 §3.7.4.1 (553 5.6.7): this recipient alone cannot be reached without SMTPUTF8.
      decide(i,
             core::SmtpReply::make(553, "5.6.7",
                                   "Upstream lacks SMTPUTF8, needed for a UTF-8 address"),
             false);
    } else {
      any_utf8 = any_utf8 || rcpt.utf8_local;
    }
  }
  if (std::all_of(txn->results.begin(), txn->results.end(),
                  [](const auto& r) { return r.has_value(); })) {
    // Nothing left to send (every recipient refused here, or none given).
    const auto keep = state;
    finish_transaction();
    state = keep;
    return;
  }

  // MAIL FROM:<reverse-path> [SP Mail-parameters] (RFC 5321 §4.1.1.2).
  const std::string_view raw = raw_of(txn->tx);
  // The sender as it was written (its domain's letter case kept, RFC 5321 §2.4).
  std::string mail = "MAIL FROM:<" + txn->tx.mail_from.str_as_sent() + ">";
  if (ext.size) mail += " SIZE=" + std::to_string(raw.size());  // RFC 1870 §6
  if (ext.eight_bit_mime && (txn->tx.eight_bit || has_8bit(raw))) mail += " BODY=8BITMIME";
  if (ext.smtputf8 && any_utf8) mail += " SMTPUTF8";  // RFC 6531 §3.4
  txn->mail_command = mail + "\r\n";
  txn->pipelined = ext.pipelining;

  if (state == ClientState::idle) {
    // A reused connection: RSET first (RFC 5321 §4.1.1.5). Its failure means the connection
    // is dead or confused; the caller retries on a fresh one.
    send("RSET\r\n", settings.timeouts.rset);
    state = ClientState::rset;
    return;
  }
  send_mail();
}

void ClientMachine::send_mail() {
  auto& t = *txn;
  state = ClientState::transaction;
  if (!t.pipelined) {
    send(std::move(t.mail_command), settings.timeouts.mail);
    t.expects.push_back({Expect::Kind::mail, 0});
    return;
  }
  // RFC 2920 §3.1: MAIL, every RCPT and DATA go as one group (DATA last); the replies come back
  // in the same order and each is checked.
  std::string batch = std::move(t.mail_command);
  t.expects.push_back({Expect::Kind::mail, 0});
  for (size_t i = 0; i < t.tx.recipients.size(); ++i) {
    if (t.results[i]) continue;
    batch += "RCPT TO:<" + t.tx.recipients[i].str() + ">\r\n";
    t.expects.push_back({Expect::Kind::rcpt, i});
  }
  batch += "DATA\r\n";
  t.expects.push_back({Expect::Kind::data, 0});
  send(std::move(batch), settings.timeouts.mail);
}

void ClientMachine::send_next_rcpt(size_t from) {
  auto& t = *txn;
  for (size_t i = from; i < t.tx.recipients.size(); ++i) {
    if (t.results[i]) continue;
    send("RCPT TO:<" + t.tx.recipients[i].str() + ">\r\n", settings.timeouts.rcpt);
    t.expects.push_back({Expect::Kind::rcpt, i});
    return;
  }
  // Every RCPT answered: DATA only when one was accepted (RFC 5321 §3.3: "If there were no
  // successful RCPT commands ... the server MUST return a 503 or 554" — no point asking).
  if (t.accepted_count > 0) {
    send("DATA\r\n", settings.timeouts.data);
    t.expects.push_back({Expect::Kind::data, 0});
  } else {
    finish_transaction();
  }
}

void ClientMachine::on_transaction_reply(const core::SmtpReply& reply) {
  auto& t = *txn;
  const int klass = reply.code / 100;
  if (reply.code == 421) {
    // The server is closing: nothing more will be answered (RFC 5321 §3.8).
    for (size_t i = 0; i < t.results.size(); ++i) {
      if (!t.results[i]) decide(i, reply, true);
    }
    finish_transaction();
    return;
  }
  if (state == ClientState::final_reply) {
    if (klass != 2 && klass != 4 && klass != 5) {
      interrupt(
          made_up(451, "4.5.0",
                  "protocol error: reply " + std::to_string(reply.code) + " to the end of data"));
      return;
    }
    // One reply for every accepted recipient (RFC 5321 §4.1.1.4).
    t.data_reply = reply;
    for (size_t i = 0; i < t.results.size(); ++i) {
      if (!t.results[i]) decide(i, reply, true);
    }
    finish_transaction();
    return;
  }
  if (state == ClientState::discard_dot) {
    finish_transaction();
    return;
  }

  const Expect e = t.expects.front();
  t.expects.pop_front();
  switch (e.kind) {
    case Expect::Kind::mail:
      t.mail_ok = klass == 2;
      if (!t.mail_ok) {
        // A refused MAIL decides every recipient; RCPT replies after it (pipelined) would
        // only say "need MAIL first".
        for (size_t i = 0; i < t.results.size(); ++i) {
          if (!t.results[i]) decide(i, reply, true);
        }
        if (!t.pipelined) finish_transaction();
      } else if (!t.pipelined) {
        send_next_rcpt(0);
      }
      return;
    case Expect::Kind::rcpt:
      if (t.mail_ok && !t.results[e.index]) {
        if (klass == 2) {
          t.accepted[e.index] = true;
          ++t.accepted_count;
        } else {
          decide(e.index, reply, true);
        }
      }
      if (!t.pipelined) send_next_rcpt(e.index + 1);
      return;
    case Expect::Kind::data:
      if (klass == 3) {
        if (t.mail_ok && t.accepted_count > 0) {
          state = ClientState::body;
        } else {
          // RFC 2920 §3.1: DATA accepted although no recipient was — "the client SMTP should
          // send a single dot", then ignore the reply.
          send(".\r\n", settings.timeouts.data_block);
          state = ClientState::discard_dot;
        }
        return;
      }
      if (klass == 2) {
        interrupt(made_up(451, "4.5.0",
                          "protocol error: reply " + std::to_string(reply.code) + " to DATA"));
        return;
      }
      // DATA refused: it decides the recipients RCPT had accepted.
      for (size_t i = 0; i < t.results.size(); ++i) {
        if (!t.results[i]) decide(i, reply, true);
      }
      finish_transaction();
      return;
  }
}

void ClientMachine::produce_body_chunk() {
  auto& t = *txn;
  const std::string_view raw = raw_of(t.tx);
  std::string chunk;
  chunk.reserve(std::min(raw.size() - t.body_pos, settings.body_chunk) + 64);
  t.body_pos =
      dot_stuff(raw, t.body_pos, std::max<size_t>(settings.body_chunk, 1), t.line_start, chunk);
  if (t.body_pos >= raw.size()) {
    // The data ends with CRLF "." CRLF (RFC 5321 §4.1.1.4); a message not ending in CRLF gets
    // one so the "." stands on a line of its own.
    if (!raw.empty() && !raw.ends_with("\r\n")) chunk += "\r\n";
    if (t.hold) {
      // Two-phase commit: everything but the "." goes out, then next() returns Hold.
      state = ClientState::held;
      if (!chunk.empty()) send(std::move(chunk), settings.timeouts.data_block);
      return;
    }
    chunk += ".\r\n";
    state = ClientState::final_reply;
  }
  send(std::move(chunk), settings.timeouts.data_block);
}

void ClientMachine::release(bool commit) {
  if (state != ClientState::held || !txn) return;
  if (commit) {
    // A fresh deadline for the dot, then final_reply's for its reply: the time spent at the
    // gate counts against neither.
    send(".\r\n", settings.timeouts.data_block);
    state = ClientState::final_reply;
    return;
  }
  // Abort: the server never sees the end of data, so the transaction is not complete and it
  // delivers nothing (RFC 5321 §3.3, §4.1.1.4); the connection cannot go on from mid-DATA.
  std::string text = "Upstream";
  if (!settings.peer_name.empty()) text += " " + settings.peer_name;
  text += ": transaction not committed: another destination of this message failed";
  const auto reply = core::SmtpReply::make(451, "4.3.0", text);
  for (size_t i = 0; i < txn->results.size(); ++i) {
    if (!txn->results[i]) decide(i, reply, false);
  }
  closing = true;
  finish_transaction();
}

void ClientMachine::decide(size_t i, const core::SmtpReply& reply, bool from_upstream) {
  auto& t = *txn;
  t.results[i] = RecipientResult{t.tx.recipients[i], reply, from_upstream};
}

void ClientMachine::finish_transaction() {
  auto& t = *txn;
  TransactionResult result;
  result.recipients.reserve(t.results.size());
  for (size_t i = 0; i < t.results.size(); ++i) {
    if (!t.results[i]) decide(i, made_up(451, "4.4.2", "gave no reply for this recipient"), false);
    result.recipients.push_back(std::move(*t.results[i]));
  }
  result.data_reply = std::move(t.data_reply);
  result.maybe_delivered = t.maybe_delivered;
  out.emplace_back(client_action::Done{std::move(result)});
  txn.reset();
  state = closing ? ClientState::closed : ClientState::idle;
}

void ClientMachine::abort_transaction(const core::SmtpReply& reply) {
  auto& t = *txn;
  // The whole message went out but its reply never came: it may have been delivered.
  t.maybe_delivered = state == ClientState::final_reply;
  for (size_t i = 0; i < t.results.size(); ++i) {
    if (!t.results[i]) decide(i, reply, false);
  }
  closing = true;
  finish_transaction();
}

}  // namespace hikyaku::relay
