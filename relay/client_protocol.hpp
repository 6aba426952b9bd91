// The ESMTP client state machine, sans I/O: server replies in, commands and actions out.
// RFC 5321 §3-4 (session, transaction, replies), §4.5.2 (dot-stuffing), §4.5.3.2 (timeouts),
// RFC 2920 (PIPELINING), RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8),
// RFC 3207 (STARTTLS), RFC 2034 (enhanced codes). relay/smtp_client.cpp drives it over a socket.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/address.hpp"
#include "core/message.hpp"
#include "core/smtp_reply.hpp"

namespace hikyaku::relay {

using std::chrono::milliseconds;

class CommitParty;  // relay/commit_gate.hpp; the driver's, never touched by the protocol

// How long to wait at each stage; the defaults are RFC 5321 §4.5.3.2's minimums.
struct ClientTimeouts {
  milliseconds greeting = std::chrono::minutes(5);      // §4.5.3.2.1 initial 220
  milliseconds ehlo = std::chrono::minutes(5);          // EHLO/HELO: as MAIL (Postfix: 300s)
  milliseconds starttls = std::chrono::minutes(5);      // the 220 to STARTTLS and the handshake
  milliseconds mail = std::chrono::minutes(5);          // §4.5.3.2.2 MAIL
  milliseconds rcpt = std::chrono::minutes(5);          // §4.5.3.2.3 RCPT
  milliseconds data = std::chrono::minutes(2);          // §4.5.3.2.4 DATA initiation (354)
  milliseconds data_block = std::chrono::minutes(3);    // §4.5.3.2.5 each write of the message
  milliseconds final_reply = std::chrono::minutes(10);  // §4.5.3.2.6 reply to the final "."
  milliseconds rset = std::chrono::seconds(20);         // probes a reused connection (Postfix: 20s)
  milliseconds quit = std::chrono::seconds(30);         // nothing depends on the 221
};

struct ClientSettings {
  std::string helo_name;  // sent in EHLO/HELO (relay.helo_name)
  std::string peer_name;  // the upstream host, only for the text of made-up replies
  bool starttls = true;   // opportunistic STARTTLS when offered (RFC 3207)
  // A destination policy (DANE, MTA-STS, tls_policy) makes TLS mandatory: a server that does
  // not offer STARTTLS, or refuses it, is a temporary failure, never a plaintext transaction
  // (RFC 7672 §2.2, RFC 8461 §4.2). Only with starttls.
  bool tls_required = false;
  ClientTimeouts timeouts;
  size_t body_chunk = 64 * 1024;  // source octets per data write (each under data_block)
  // Our own host names, lowercase (server.hostname, relay.helo_name): an upstream that greets
  // or answers EHLO with one of them is ourselves, a loop (relay/loop_detection.hpp).
  std::vector<std::string> own_names;
};

// What the server said it supports in its EHLO reply (RFC 5321 §4.1.1.1, RFC 1869 §4.3).
struct Extensions {
  bool esmtp = false;                  // EHLO accepted (false after the HELO fallback)
  bool pipelining = false;             // RFC 2920
  bool starttls = false;               // RFC 3207
  bool eight_bit_mime = false;         // RFC 6152
  bool smtputf8 = false;               // RFC 6531
  bool enhanced_status_codes = false;  // RFC 2034
  bool size = false;                   // RFC 1870
  uint64_t size_limit = 0;             // SIZE's argument; 0: no fixed maximum (RFC 1870 §4)
};
Extensions parse_ehlo(const core::SmtpReply& reply);

// True when the first word of the first line of `reply` (the 220 greeting or the 250 to EHLO,
// RFC 5321 §4.2, §4.1.1.1: "220 <domain>", "250 <domain>") is one of `own_names` (lowercase;
// any case in the reply, one trailing dot allowed): the upstream is ourselves, a mail loop.
bool greets_as_us(const core::SmtpReply& reply, const std::vector<std::string>& own_names);

// One mail transaction for one upstream: an envelope for one destination domain's recipients.
struct OutboundTransaction {
  core::Address mail_from;  // is_null(): "MAIL FROM:<>"
  std::vector<core::Address> recipients;
  std::shared_ptr<const core::Message> message;
  bool smtputf8 = false;   // the sender used SMTPUTF8: pass it on when offered (RFC 6531 §3.4)
  bool eight_bit = false;  // the sender declared BODY=8BITMIME: pass it on when offered
  // Two-phase commit (DESIGN §1 step 7): when set, the driver (deliver_over) begins the
  // transaction with EndOfData::hold and, at Hold, arrives at this party's gate to learn
  // whether to send the "." or abort. Null: the dot follows the body at once, as always.
  std::shared_ptr<CommitParty> hold;
};

// What follows the last octet of the body: the final "." at once, or client_action::Hold
// until release() decides (the two-phase commit of DESIGN §1 step 7).
enum class EndOfData { send, hold };

// The stage a connection or transaction was in; names appear in logs and made-up replies.
enum class Stage {
  connect,
  greeting,
  ehlo,
  helo,
  starttls,
  tls_handshake,
  rset,
  mail,
  rcpt,
  data,
  body,
  final_reply,
  quit
};
std::string_view stage_name(Stage s);

struct RecipientResult {
  core::Address recipient;
  core::SmtpReply reply;      // the reply that decided it: its RCPT refusal, or the DATA reply
  bool from_upstream = true;  // false: made up here (timeout, lost connection, local check)
  bool accepted() const { return reply.code / 100 == 2; }
};

struct TransactionResult {
  std::vector<RecipientResult> recipients;    // in the transaction's order
  std::optional<core::SmtpReply> data_reply;  // reply to the final "." (its text: queue id)
  // The message was sent in full but no reply to "." came: it may have been delivered, and a
  // retry may duplicate it (RFC 1047). Those recipients have a temporary made-up reply.
  bool maybe_delivered = false;

  size_t accepted_count() const;
  bool all_accepted() const;
  bool all_permanent() const;  // every recipient refused with 5xx
  bool all_temporary() const;  // every recipient failed with 4xx (or made-up 4xx)
};

// A failure before a transaction could start: the next MX host or address may do better when
// it is temporary (RFC 5321 §5.1); a 5xx from the greeting or EHLO is permanent.
struct ConnectionFailure {
  Stage stage = Stage::connect;
  core::SmtpReply reply;  // the upstream's reply, or a made-up 4xx
  bool from_upstream = false;
  bool loop = false;      // the upstream is ourselves (greets_as_us): skip the host
  bool temporary() const { return !reply.permanent(); }
};

// What the driver must do next. Polled with ClientProtocol::next().
namespace client_action {
struct Send {
  std::string bytes;
  milliseconds timeout;
};  // write all of it within timeout
// Read; then feed(), timed_out() or connection_lost(). `timeout` runs from the first
// NeedInput with this `wait`: the number changes only when a command goes out or a reply is
// complete, so a server trickling one reply byte by byte still meets one deadline.
struct NeedInput {
  milliseconds timeout;
  uint64_t wait = 0;
};
struct StartTls {
  milliseconds timeout;
};                // TLS handshake; then tls_started() or tls_failed()
struct Ready {};  // waiting for begin() or quit()
// A holding transaction has sent its whole body and every recipient RCPT accepted waits on the
// final "." (only after a 354, with at least one recipient accepted). Nothing is read or written
// until release(). The wait at the gate counts against no stage's deadline: the dot gets a
// fresh data_block deadline and the reply to it final_reply.
struct Hold {};
struct Done {
  TransactionResult result;
};  // the transaction ended; usable(): begin() again
struct Failed {
  ConnectionFailure failure;
};                 // no transaction possible: close the connection
struct Closed {};  // the session is over: close the connection
}  // namespace client_action
using ClientAction =
    std::variant<client_action::Send, client_action::NeedInput, client_action::StartTls,
                 client_action::Ready, client_action::Hold, client_action::Done,
                 client_action::Failed, client_action::Closed>;

class ClientProtocol {
 public:
  explicit ClientProtocol(ClientSettings settings);
  ~ClientProtocol();
  ClientProtocol(ClientProtocol&&) noexcept;
  ClientProtocol& operator=(ClientProtocol&&) noexcept;

  // Bytes read from the server.
  void feed(std::string_view bytes);
  // The read or write deadline passed / the connection closed or failed (EOF, reset, ...).
  void timed_out();
  void connection_lost(std::string_view why);
  // The next thing to do. Starts with NeedInput (the greeting).
  ClientAction next();

  // TLS is up: every byte buffered before it is discarded and EHLO is sent again (RFC 3207
  // §4.2). The driver must have discarded its own unread bytes too.
  void tls_started();
  void tls_failed(std::string_view why);

  // Starts a transaction; only after Ready or Done with usable(). After an earlier transaction
  // on this connection RSET goes first, and its failure ends the connection with Failed
  // (stage rset): the caller then tries a fresh connection. Checks that need no round trip
  // (SIZE, 8BITMIME, SMTPUTF8) may end the transaction at once with Done. With
  // EndOfData::hold the body is followed by Hold instead of the "." (only when DATA got 354
  // with at least one recipient accepted; any earlier end is Done as usual).
  void begin(OutboundTransaction transaction, EndOfData end = EndOfData::send);
  // After Hold: commit sends the final "." and the transaction ends with the reply to it, as
  // without a hold. Abort sends nothing more: the transaction ends with Done, every recipient
  // RCPT accepted getting a made-up 451 4.3.0 ("transaction not committed"), and the connection
  // is not usable(): the driver closes it, so the server discards the unfinished message
  // (RFC 5321 §3.3, §4.1.1.4). Ignored anywhere but after Hold.
  void release(bool commit);
  // Ends the session politely: QUIT, then Closed.
  void quit();

  bool usable() const;  // between transactions: begin() may be called
  bool tls() const;
  const Extensions& extensions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends `raw` (CRLF line ends, not stuffed) to `out` with a '.' doubled at the start of every
// line (RFC 5321 §4.5.2), from `pos`, at most `max` source octets. `line_start` carries the
// state between calls (true at the start of the message). Returns the new position. A '.' after
// a bare LF is doubled too, so no server that ends lines at LF can see an end of data early.
size_t dot_stuff(std::string_view raw, size_t pos, size_t max, bool& line_start, std::string& out);

}  // namespace hikyaku::relay
