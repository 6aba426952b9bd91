// Internal state of the client state machine (relay/client_protocol.hpp), shared by the session
// part (client_protocol.cpp: greeting, EHLO, STARTTLS, QUIT) and the transaction part
// (client_transaction.cpp: MAIL, RCPT, DATA, RFC 5321 §3.3, RFC 2920 §3.1). Not a public API.
#pragma once
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "relay/client_protocol.hpp"
#include "relay/reply_parser.hpp"

namespace hikyaku::relay {

enum class ClientState {
  greeting,       // waiting for 220
  ehlo,           // EHLO sent
  helo,           // HELO sent (EHLO refused with 5xx, RFC 5321 §3.2)
  starttls,       // STARTTLS sent
  tls_handshake,  // StartTls returned; waiting for tls_started()/tls_failed()
  ready,          // session set up, no transaction yet
  rset,           // RSET sent before a transaction on a reused connection
  transaction,    // MAIL/RCPT/DATA replies outstanding
  body,           // writing the message
  held,           // the body is out, the "." held back until release() (Hold)
  final_reply,    // "." sent; waiting for the reply that decides delivery
  discard_dot,    // "." sent after DATA was accepted with no recipient (RFC 2920 §3.1)
  idle,           // a transaction finished; begin() sends RSET first
  quit,           // QUIT sent
  closed,         // nothing more on this connection
};

// A reply the transaction is waiting for, in command order (RFC 2920 §3.1).
struct Expect {
  enum class Kind { mail, rcpt, data } kind = Kind::mail;
  size_t index = 0;  // the recipient, for rcpt
};

struct Transaction {
  OutboundTransaction tx;
  std::vector<std::optional<RecipientResult>> results;  // set once decided
  std::vector<bool> accepted;                           // RCPT got 2xx
  size_t accepted_count = 0;
  bool mail_ok = false;
  bool pipelined = false;
  std::string mail_command;  // built at begin(), sent after a successful RSET
  std::deque<Expect> expects;
  size_t body_pos = 0;     // next octet of the message to send
  bool line_start = true;  // dot-stuffing state
  bool maybe_delivered = false;
  bool hold = false;  // EndOfData::hold: Hold after the body, the "." only on release(true)
  std::optional<core::SmtpReply> data_reply;
};

struct ClientMachine {
  explicit ClientMachine(ClientSettings s) : settings(std::move(s)) {}

  ClientSettings settings;
  ReplyParser parser;
  ClientState state = ClientState::greeting;
  std::deque<ClientAction> out;
  Extensions ext;
  bool tls = false;
  bool closing = false;  // the server sent 421 and will close (RFC 5321 §3.8)
  uint64_t wait = 0;     // NeedInput::wait: counts commands sent and replies taken
  std::optional<Transaction> txn;

  // client_protocol.cpp
  ClientAction next();
  void send(std::string bytes, milliseconds timeout);
  void on_reply(const core::SmtpReply& reply);
  void after_hello();
  void fail(Stage stage, core::SmtpReply reply, bool from_upstream, bool polite);
  void fail_loop(Stage stage, const core::SmtpReply& reply);  // an upstream that is ourselves
  void interrupt(const core::SmtpReply& made_up);
  Stage stage() const;
  milliseconds input_timeout() const;
  core::SmtpReply made_up(int code, std::string_view enhanced, std::string_view what) const;

  // client_transaction.cpp
  void begin(OutboundTransaction tx, EndOfData end);
  void send_mail();
  void send_next_rcpt(size_t from);
  void on_transaction_reply(const core::SmtpReply& reply);
  void produce_body_chunk();
  void decide(size_t i, const core::SmtpReply& reply, bool from_upstream);
  void finish_transaction();
  void abort_transaction(const core::SmtpReply& made_up);
  void release(bool commit);
};

}  // namespace hikyaku::relay
