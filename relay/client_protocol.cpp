// The session part of the sans-I/O SMTP client: greeting, EHLO with HELO fallback, extension
// parsing, STARTTLS, QUIT, and what timeouts, lost connections and malformed replies mean.
// RFC 5321 §3.1 (greeting), §3.2 and §4.1.1.1 (EHLO/HELO), §3.8 (421), §4.2 (replies),
// RFC 1869 §4.3 (EHLO keywords), RFC 3207 §4-4.2 (STARTTLS).
// Transactions: client_transaction.cpp.
#include "relay/client_protocol.hpp"

#include <algorithm>

#include "core/address.hpp"
#include "relay/client_machine.hpp"

namespace hikyaku::relay {

std::string_view stage_name(Stage s) {
  switch (s) {
    case Stage::connect: return "connect";
    case Stage::greeting: return "greeting";
    case Stage::ehlo: return "EHLO";
    case Stage::helo: return "HELO";
    case Stage::starttls: return "STARTTLS";
    case Stage::tls_handshake: return "TLS handshake";
    case Stage::rset: return "RSET";
    case Stage::mail: return "MAIL";
    case Stage::rcpt: return "RCPT";
    case Stage::data: return "DATA";
    case Stage::body: return "message body";
    case Stage::final_reply: return "end of data";
    case Stage::quit: return "QUIT";
  }
  return "?";
}

Extensions parse_ehlo(const core::SmtpReply& reply) {
  Extensions ext;
  ext.esmtp = true;
  // The first line greets; each further line is "keyword [params]" (RFC 5321 §4.1.1.1).
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    std::string_view line = reply.lines[i];
    const size_t sp = line.find(' ');
    const std::string keyword = core::ascii_lower(line.substr(0, sp));
    std::string_view param = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    if (keyword == "pipelining")
      ext.pipelining = true;
    else if (keyword == "starttls")
      ext.starttls = true;
    else if (keyword == "8bitmime")
      ext.eight_bit_mime = true;
    else if (keyword == "smtputf8")
      ext.smtputf8 = true;
    else if (keyword == "enhancedstatuscodes")
      ext.enhanced_status_codes = true;
    else if (keyword == "size") {
      // RFC 1870 §4: "SIZE" [SP number]; 0 or no number: no fixed maximum.
      ext.size = true;
      uint64_t n = 0;
      bool ok = !param.empty() && param.size() <= 19;
      for (char c : param) {
        if (c < '0' || c > '9') {
          ok = false;
          break;
        }
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      ext.size_limit = ok ? n : 0;
    }
  }
  return ext;
}

bool greets_as_us(const core::SmtpReply& reply, const std::vector<std::string>& own_names) {
  if (reply.lines.empty() || own_names.empty()) return false;
  std::string_view first = reply.lines.front();
  const size_t sp = first.find(' ');
  if (sp != std::string_view::npos) first = first.substr(0, sp);
  std::string name = core::ascii_lower(first);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return false;
  return std::find(own_names.begin(), own_names.end(), name) != own_names.end();
}

size_t TransactionResult::accepted_count() const {
  return static_cast<size_t>(std::count_if(recipients.begin(), recipients.end(),
                                           [](const RecipientResult& r) { return r.accepted(); }));
}
bool TransactionResult::all_accepted() const {
  return std::all_of(recipients.begin(), recipients.end(),
                     [](const RecipientResult& r) { return r.accepted(); });
}
bool TransactionResult::all_permanent() const {
  return std::all_of(recipients.begin(), recipients.end(),
                     [](const RecipientResult& r) { return r.reply.permanent(); });
}
bool TransactionResult::all_temporary() const {
  return std::all_of(recipients.begin(), recipients.end(),
                     [](const RecipientResult& r) { return r.reply.transient(); });
}

// --- ClientMachine: session part ---------------------------------------------------------

core::SmtpReply ClientMachine::made_up(int code, std::string_view enhanced,
                                       std::string_view what) const {
  std::string text = "Upstream";
  if (!settings.peer_name.empty()) text += " " + settings.peer_name;
  text += " ";
  text += what;
  return core::SmtpReply::make(code, enhanced, text);
}

void ClientMachine::send(std::string bytes, milliseconds timeout) {
  ++wait;
  out.emplace_back(client_action::Send{std::move(bytes), timeout});
}

Stage ClientMachine::stage() const {
  switch (state) {
    case ClientState::greeting: return Stage::greeting;
    case ClientState::ehlo: return Stage::ehlo;
    case ClientState::helo: return Stage::helo;
    case ClientState::starttls: return Stage::starttls;
    case ClientState::tls_handshake: return Stage::tls_handshake;
    case ClientState::rset: return Stage::rset;
    case ClientState::transaction:
      if (txn && !txn->expects.empty()) {
        switch (txn->expects.front().kind) {
          case Expect::Kind::mail: return Stage::mail;
          case Expect::Kind::rcpt: return Stage::rcpt;
          case Expect::Kind::data: return Stage::data;
        }
      }
      return Stage::mail;
    case ClientState::body:
    case ClientState::held: return Stage::body;
    case ClientState::final_reply:
    case ClientState::discard_dot: return Stage::final_reply;
    case ClientState::quit: return Stage::quit;
    case ClientState::ready:
    case ClientState::idle:
    case ClientState::closed: break;
  }
  return Stage::mail;
}

milliseconds ClientMachine::input_timeout() const {
  const auto& t = settings.timeouts;
  switch (stage()) {
    case Stage::greeting: return t.greeting;
    case Stage::ehlo:
    case Stage::helo: return t.ehlo;
    case Stage::starttls:
    case Stage::tls_handshake: return t.starttls;
    case Stage::rset: return t.rset;
    case Stage::rcpt: return t.rcpt;
    case Stage::data: return t.data;
    case Stage::body: return t.data_block;
    case Stage::final_reply: return t.final_reply;
    case Stage::quit: return t.quit;
    case Stage::connect:
    case Stage::mail: break;
  }
  return t.mail;
}

ClientAction ClientMachine::next() {
  while (true) {
    if (!out.empty()) {
      ClientAction a = std::move(out.front());
      out.pop_front();
      return a;
    }
    switch (state) {
      case ClientState::greeting:
      case ClientState::ehlo:
      case ClientState::helo:
      case ClientState::starttls:
      case ClientState::rset:
      case ClientState::transaction:
      case ClientState::final_reply:
      case ClientState::discard_dot:
      case ClientState::quit: {
        // Replies are taken only once every queued command has gone out, so they are always
        // matched to commands already sent, in order (RFC 2920 §3.1).
        auto parsed = parser.next();
        if (!parsed) return client_action::NeedInput{input_timeout(), wait};
        if (auto* err = std::get_if<ReplyError>(&*parsed)) {
          interrupt(
              made_up(451, "4.5.0",
                      "protocol error (" + std::string(stage_name(stage())) + "): " + err->reason));
          continue;
        }
        on_reply(std::get<core::SmtpReply>(*parsed));
        continue;
      }
      case ClientState::body: produce_body_chunk(); continue;
      case ClientState::held: return client_action::Hold{};
      case ClientState::tls_handshake: return client_action::StartTls{settings.timeouts.starttls};
      case ClientState::ready:
      case ClientState::idle: return client_action::Ready{};
      case ClientState::closed: return client_action::Closed{};
    }
  }
}

void ClientMachine::on_reply(const core::SmtpReply& reply) {
  ++wait;
  // RFC 5321 §3.8: 421 means the server is closing the transmission channel.
  if (reply.code == 421) closing = true;
  const int klass = reply.code / 100;
  if (state == ClientState::quit) {
    state = ClientState::closed;
    return;
  }
  // A 3xx only ever answers DATA (RFC 5321 §4.2.1, §4.3.2); anywhere else, and a 2xx greeting
  // other than 220, the server is confused. Such a reply must never decide anything: a
  // "positive" code reported as a failure would read as a delivery.
  const bool data_next = state == ClientState::transaction && txn && !txn->expects.empty() &&
                         txn->expects.front().kind == Expect::Kind::data;
  const bool odd_greeting = state == ClientState::greeting && klass == 2 && reply.code != 220;
  if ((klass == 3 && !data_next) || odd_greeting) {
    interrupt(made_up(451, "4.5.0",
                      "protocol error (" + std::string(stage_name(stage())) +
                          "): unexpected reply " + reply.summary()));
    return;
  }
  switch (state) {
    case ClientState::greeting:
      // RFC 5321 §3.1: 220 opens the session; 554 (or 4xx) refuses it.
      if (reply.code == 220 && greets_as_us(reply, settings.own_names)) {
        fail_loop(Stage::greeting, reply);
      } else if (reply.code == 220) {
        send("EHLO " + settings.helo_name + "\r\n", settings.timeouts.ehlo);
        state = ClientState::ehlo;
      } else {
        fail(Stage::greeting, reply, true, true);
      }
      return;
    case ClientState::ehlo:
      if (klass == 2 && greets_as_us(reply, settings.own_names)) {
        fail_loop(Stage::ehlo, reply);
      } else if (klass == 2) {
        ext = parse_ehlo(reply);
        after_hello();
      } else if (klass == 5 && !closing) {
        // RFC 5321 §3.2: "the SMTP client MUST be able to fall back to HELO".
        send("HELO " + settings.helo_name + "\r\n", settings.timeouts.ehlo);
        state = ClientState::helo;
      } else {
        fail(Stage::ehlo, reply, true, true);
      }
      return;
    case ClientState::helo:
      if (klass == 2) {
        ext = Extensions{};
        after_hello();  // no STARTTLS after HELO: ready, or a failure where TLS is required
      } else {
        fail(Stage::helo, reply, true, true);
      }
      return;
    case ClientState::starttls:
      if (klass == 2) {
        // RFC 3207 §4.2 / CVE-2011-0411: nothing received before the handshake may be read
        // after it; anything the server sent past its 220 is dropped here.
        parser.discard();
        state = ClientState::tls_handshake;
        out.emplace_back(client_action::StartTls{settings.timeouts.starttls});
      } else if (closing) {
        fail(Stage::starttls, reply, true, false);
      } else if (settings.tls_required) {
        // A policy requires TLS: no plaintext transaction after a refusal (RFC 3463 X.7.4
        // "security features not supported").
        fail(Stage::starttls,
             made_up(451, "4.7.4", "TLS is required, but STARTTLS was refused: " + reply.summary()),
             false, true);
      } else {
        // RFC 3207 §4: 454 (or another refusal) leaves the session as it was; the TLS here is
        // opportunistic, so the mail goes on in the clear with the extensions already known.
        state = ClientState::ready;
      }
      return;
    case ClientState::rset:
      if (klass == 2) {
        send_mail();
      } else {
        txn.reset();
        fail(Stage::rset, reply, true, true);
      }
      return;
    case ClientState::transaction:
    case ClientState::final_reply:
    case ClientState::discard_dot: on_transaction_reply(reply); return;
    case ClientState::quit:
    case ClientState::tls_handshake:
    case ClientState::ready:
    case ClientState::body:
    case ClientState::held:
    case ClientState::idle:
    case ClientState::closed: return;  // not reached: no reply is read in these states
  }
}

void ClientMachine::after_hello() {
  if (ext.starttls && settings.starttls && !tls) {
    send("STARTTLS\r\n", settings.timeouts.starttls);
    state = ClientState::starttls;
  } else if (settings.starttls && settings.tls_required && !tls) {
    fail(Stage::starttls, made_up(451, "4.7.4", "TLS is required, but STARTTLS was not offered"),
         false, true);
  } else {
    state = ClientState::ready;
  }
}

void ClientMachine::fail(Stage at, core::SmtpReply reply, bool from_upstream, bool polite) {
  // RFC 5321 §3.1, §4.1.1.10: after a refusal the client sends QUIT; not after 421 (the server
  // is already closing) nor when the connection is broken.
  if (polite && !closing) send("QUIT\r\n", settings.timeouts.quit);
  out.emplace_back(client_action::Failed{ConnectionFailure{at, std::move(reply), from_upstream}});
  state = ClientState::closed;
}

// RFC 5321 §5.1, §6.3: the upstream named itself with our own host name; it is ourselves (an
// MX or a proxy pointing back here). QUIT, and the failure says "loop" so the host is skipped.
void ClientMachine::fail_loop(Stage at, const core::SmtpReply& reply) {
  std::string name = reply.lines.empty() ? "" : reply.lines.front();
  name = name.substr(0, name.find(' '));
  fail(at,
       made_up(554, "5.4.6",
               (at == Stage::greeting ? "greeted us with our own host name " : "answered EHLO with our own host name ") +
                   name + ": mail loops back to myself"),
       false, true);
  for (auto& a : out) {
    if (auto* f = std::get_if<client_action::Failed>(&a)) f->failure.loop = true;
  }
}

void ClientMachine::interrupt(const core::SmtpReply& reply) {
  // Whatever was still to be written is moot; results already queued stay.
  std::erase_if(out, [](const ClientAction& a) {
    return std::holds_alternative<client_action::Send>(a) ||
           std::holds_alternative<client_action::StartTls>(a);
  });
  closing = true;
  switch (state) {
    case ClientState::greeting:
    case ClientState::ehlo:
    case ClientState::helo:
    case ClientState::starttls:
    case ClientState::tls_handshake:
    case ClientState::rset:
      txn.reset();
      fail(stage(), reply, false, false);
      return;
    case ClientState::transaction:
    case ClientState::body:
    case ClientState::held:
    case ClientState::final_reply:
    case ClientState::discard_dot: abort_transaction(reply); return;
    case ClientState::ready:
    case ClientState::idle:
    case ClientState::quit: state = ClientState::closed; return;
    case ClientState::closed: return;
  }
}

// --- ClientProtocol ------------------------------------------------------------------------

struct ClientProtocol::Impl : ClientMachine {
  using ClientMachine::ClientMachine;
};

ClientProtocol::ClientProtocol(ClientSettings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}
ClientProtocol::~ClientProtocol() = default;
ClientProtocol::ClientProtocol(ClientProtocol&&) noexcept = default;
ClientProtocol& ClientProtocol::operator=(ClientProtocol&&) noexcept = default;

void ClientProtocol::feed(std::string_view bytes) {
  if (impl_->state != ClientState::closed) impl_->parser.feed(bytes);
}

void ClientProtocol::timed_out() {
  impl_->interrupt(
      impl_->made_up(451, "4.4.2", "timed out (" + std::string(stage_name(impl_->stage())) + ")"));
}

void ClientProtocol::connection_lost(std::string_view why) {
  std::string what = "lost the connection (" + std::string(stage_name(impl_->stage())) + ")";
  if (!why.empty()) what += ": " + std::string(why);
  impl_->interrupt(impl_->made_up(451, "4.4.2", what));
}

ClientAction ClientProtocol::next() {
  return impl_->next();
}

void ClientProtocol::tls_started() {
  auto& m = *impl_;
  if (m.state != ClientState::tls_handshake) return;
  // RFC 3207 §4.2: the client discards all knowledge from before TLS and says EHLO again.
  m.parser.discard();
  m.tls = true;
  m.ext = Extensions{};
  m.send("EHLO " + m.settings.helo_name + "\r\n", m.settings.timeouts.ehlo);
  m.state = ClientState::ehlo;
}

void ClientProtocol::tls_failed(std::string_view why) {
  auto& m = *impl_;
  if (m.state != ClientState::tls_handshake) return;
  m.closing = true;
  m.fail(Stage::tls_handshake, m.made_up(451, "4.7.5", "TLS handshake failed: " + std::string(why)),
         false, false);
}

void ClientProtocol::begin(OutboundTransaction transaction, EndOfData end) {
  impl_->begin(std::move(transaction), end);
}

void ClientProtocol::release(bool commit) {
  impl_->release(commit);
}

void ClientProtocol::quit() {
  auto& m = *impl_;
  if (m.state == ClientState::ready || m.state == ClientState::idle) {
    m.send("QUIT\r\n", m.settings.timeouts.quit);
    m.state = ClientState::quit;
  } else if (m.state != ClientState::quit && m.state != ClientState::closed) {
    std::erase_if(m.out, [](const ClientAction& a) {
      return std::holds_alternative<client_action::Send>(a) ||
             std::holds_alternative<client_action::StartTls>(a);
    });
    m.state = ClientState::closed;
  }
}

bool ClientProtocol::usable() const {
  return impl_->state == ClientState::ready || impl_->state == ClientState::idle;
}
bool ClientProtocol::tls() const {
  return impl_->tls;
}
const Extensions& ClientProtocol::extensions() const {
  return impl_->ext;
}

}  // namespace hikyaku::relay
