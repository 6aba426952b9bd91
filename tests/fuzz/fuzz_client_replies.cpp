// Fuzz target for the relay's SMTP client: arbitrary server bytes into ReplyParser
// (RFC 5321 §4.2) and into ClientProtocol through whole sessions (greeting, EHLO/HELO,
// STARTTLS, pipelined or not, DATA, RSET reuse, QUIT, the "." held for a two-phase commit and
// released with commit or abort). Input byte 0 picks the options; the rest is what the
// "server" says, fed in pieces, to a session without a hold, then with one released with
// commit, then with abort. Any broken invariant aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "relay/client_protocol.hpp"
#include "relay/reply_parser.hpp"

namespace {

using namespace hikyaku;
using namespace hikyaku::relay;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_client_replies invariant failed: %s\n", what);
  std::abort();
}

bool clean_line(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void check_reply(const core::SmtpReply& r) {
  check(r.code >= 200 && r.code <= 599, "reply code in 200..599");
  check(!r.lines.empty(), "a reply has a line");
  for (const auto& l : r.lines) check(clean_line(l), "no CR, LF or NUL in reply text");
}

// The parser alone: every reply well-formed and bounded.
void fuzz_parser(std::string_view input) {
  ReplyParser parser;
  parser.feed(input);
  while (auto r = parser.next()) {
    if (std::holds_alternative<ReplyError>(*r)) break;
    const auto& reply = std::get<core::SmtpReply>(*r);
    check_reply(reply);
    check(reply.lines.size() <= kMaxReplyLines, "line count bounded");
    for (const auto& l : reply.lines) check(l.size() <= kMaxReplyLine, "line length bounded");
    // Rendering keeps the code and the number of lines.
    ReplyParser again;
    again.feed(reply.render());
    auto back = again.next();
    check(back.has_value(), "a rendered reply parses completely");
    if (auto* b = std::get_if<core::SmtpReply>(&*back)) {
      check(b->code == reply.code, "render keeps the code");
      check(b->lines.size() == reply.lines.size(), "render keeps the lines");
    }
  }
}

core::Address address(std::string local, std::string domain, bool utf8 = false) {
  core::Address a;
  a.local = std::move(local);
  a.domain = std::move(domain);
  a.utf8_local = utf8;
  return a;
}

enum class HoldMode { none, commit, abort };

void fuzz_session(uint8_t flags, std::string_view server, HoldMode mode) {
  ClientSettings settings;
  settings.helo_name = "out.example.net";
  settings.peer_name = "mx.fuzz.example";
  settings.starttls = flags & 1;
  settings.body_chunk = 1 + (flags >> 4);
  const bool tls_fails = flags & 2;
  const bool reuse = flags & 4;
  const bool eight_bit = flags & 8;
  const bool hold = mode != HoldMode::none;
  const bool commit = mode == HoldMode::commit;

  OutboundTransaction tx;
  tx.mail_from = address("alice", "src.example");
  tx.recipients = {address("bob", "dest.example"), address("carol", "dest.example"),
                   address("d\xc3\xa9", "dest.example", true)};
  tx.message = std::make_shared<core::Message>(
      eight_bit ? "Subject: caf\xc3\xa9\r\n\r\n.dot\r\nline\r\n" : "Subject: x\r\n\r\n.dot\r\n");

  ClientProtocol p(settings);
  size_t pos = 0;
  int transactions = 0;
  std::string wire;       // every byte written, for the checks at Hold
  int after_release = 0;  // 1: the next action must send the dot; 2: it must be Done
  size_t steps = 0;
  const size_t max_steps = 64 + server.size() * 8 + tx.message->size() * 4;
  while (true) {
    check(++steps < max_steps, "the machine makes progress");
    ClientAction a = p.next();
    if (after_release == 1) {
      const auto* dot = std::get_if<client_action::Send>(&a);
      check(dot && dot->bytes == ".\r\n", "commit sends the dot and nothing else");
    } else if (after_release == 2) {
      const auto* done = std::get_if<client_action::Done>(&a);
      check(done != nullptr, "abort ends the transaction at once");
      for (const auto& r : done->result.recipients) {
        check(!r.accepted(), "an aborted transaction accepts nobody");
      }
      check(!done->result.maybe_delivered, "an aborted transaction cannot have delivered");
      check(!p.usable(), "an aborted transaction leaves the connection unusable");
    }
    after_release = 0;
    if (auto* send = std::get_if<client_action::Send>(&a)) {
      check(!send->bytes.empty(), "no empty writes");
      check(send->timeout.count() > 0, "every write has a deadline");
      wire += send->bytes;
    } else if (auto* need = std::get_if<client_action::NeedInput>(&a)) {
      check(need->timeout.count() > 0, "every read has a deadline");
      if (pos >= server.size()) {
        p.connection_lost("end of fuzz input");
        continue;
      }
      // Pieces of 1..16 octets, sized by the data itself.
      const size_t n =
          std::min<size_t>(server.size() - pos, 1 + (static_cast<uint8_t>(server[pos]) & 15));
      p.feed(server.substr(pos, n));
      pos += n;
    } else if (std::holds_alternative<client_action::StartTls>(a)) {
      if (tls_fails)
        p.tls_failed("fuzz");
      else
        p.tls_started();
    } else if (std::holds_alternative<client_action::Hold>(a)) {
      check(hold, "Hold only for a transaction with a hold");
      check(!p.usable(), "not usable while held");
      check(wire.ends_with("\r\n") && !wire.ends_with("\r\n.\r\n"),
            "Hold comes after the body and before the dot");
      p.release(commit);
      after_release = commit ? 1 : 2;
    } else if (std::holds_alternative<client_action::Ready>(a)) {
      check(p.usable(), "Ready means usable");
      if (transactions < (reuse ? 2 : 1)) {
        ++transactions;
        p.begin(tx, hold ? EndOfData::hold : EndOfData::send);
      } else {
        p.quit();
      }
    } else if (auto* done = std::get_if<client_action::Done>(&a)) {
      check(done->result.recipients.size() == tx.recipients.size(), "one result per recipient");
      for (const auto& r : done->result.recipients) {
        check_reply(r.reply);
        const int klass = r.reply.code / 100;
        check(klass == 2 || klass == 4 || klass == 5, "a recipient ends with 2xx, 4xx or 5xx");
      }
      // The UTF-8 recipient is only ever accepted by a server that offered SMTPUTF8.
      if (!p.extensions().smtputf8) {
        check(!done->result.recipients[2].accepted(), "UTF-8 rcpt needs SMTPUTF8");
      }
      if (done->result.data_reply) check_reply(*done->result.data_reply);
    } else if (auto* failed = std::get_if<client_action::Failed>(&a)) {
      check_reply(failed->failure.reply);
      check(failed->failure.reply.code >= 400, "a failure is 4xx or 5xx");
      check(!p.usable(), "failed means closed");
      break;
    } else {
      check(!p.usable(), "closed means not usable");
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  fuzz_parser(all);
  if (size == 0) return 0;
  for (auto mode : {HoldMode::none, HoldMode::commit, HoldMode::abort}) {
    fuzz_session(data[0], all.substr(1), mode);
  }
  return 0;
}
