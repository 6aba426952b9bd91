// Fuzz target: a whole ServerProtocol session driven by the input, auto-answering the sink.
// Input: one flags octet, then client bytes split into reads at each 0xFF octet.
// Invariants: every Send is whole reply lines ending in CRLF; nothing after Close; Close is
// sticky; accepted messages are CRLF-clean and within limits; byte-at-a-time = chunked.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smtpd/server_protocol.hpp"

using namespace hikyaku;
using namespace hikyaku::smtpd;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Run {
  std::string out;
  std::vector<std::string> messages;
  int closes = 0;
  int starttls = 0;
};

void check_reply_bytes(std::string_view bytes) {
  check(bytes.size() >= 5 && bytes.substr(bytes.size() - 2) == "\r\n");
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t eol = bytes.find("\r\n", pos);
    check(eol != std::string_view::npos);
    const std::string_view line = bytes.substr(pos, eol - pos);
    check(line.size() >= 3);
    for (int i = 0; i < 3; ++i) check(line[i] >= '0' && line[i] <= '9');
    check(line.size() == 3 || line[3] == ' ' || line[3] == '-');
    check(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
    pos = eol + 2;
  }
}

bool crlf_clean(const std::string& m) {
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r' && (i + 1 >= m.size() || m[i + 1] != '\n')) return false;
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return false;
  }
  return true;
}

struct Fuzzer {
  uint8_t flags;
  ProtocolSettings settings;
  ServerProtocol protocol;
  Run run;
  bool waiting_input = false;

  static ProtocolSettings make_settings(uint8_t flags) {
    ProtocolSettings s;
    s.hostname = "mx.fuzz";
    s.tls_available = flags & 0x01;
    if (flags & 0x02) {  // small limits reach every boundary quickly
      s.max_command_line = 64;
      s.max_text_line = 80;
      s.max_message_size = 300;
      s.max_recipients = 2;
      s.max_errors = 5;
    }
    return s;
  }
  static core::SessionInfo make_session() {
    core::SessionInfo info;
    info.session_id = "F";
    return info;
  }

  explicit Fuzzer(uint8_t f)
      : flags(f),
        settings(make_settings(f)),
        protocol(settings, make_session(), std::chrono::seconds(300), std::chrono::seconds(180)) {
    protocol.start();
    pump();
  }

  void pump() {
    for (int guard = 0; guard < 1000000; ++guard) {
      Action a = protocol.next();
      if (auto* send = std::get_if<action::Send>(&a)) {
        check(run.closes == 0);
        check_reply_bytes(send->bytes);
        run.out += send->bytes;
      } else if (std::holds_alternative<action::NeedInput>(a)) {
        check(run.closes == 0);
        return;
      } else if (auto* rcpt = std::get_if<action::CheckRecipient>(&a)) {
        check(run.closes == 0 && protocol.in_transaction());
        check(protocol.envelope().recipients.size() < settings.max_recipients);
        check(!rcpt->rcpt.is_null());
        const bool refuse = (flags & 0x08) && (rcpt->rcpt.local.size() % 2 == 1);
        protocol.recipient_checked(refuse ? core::SmtpReply::make(550, "5.1.1", "No")
                                          : core::SmtpReply::make(250, "2.1.5", "Ok"));
      } else if (std::holds_alternative<action::DeliverMessage>(a)) {
        check(run.closes == 0 && protocol.in_transaction());
        const auto& m = protocol.message().raw();
        check(m.size() <= settings.max_message_size);
        check(crlf_clean(m));
        check(!protocol.envelope().recipients.empty());
        run.messages.push_back(m);
        protocol.message_delivered((flags & 0x10) ? core::SmtpReply::make(451, "4.3.0", "Later")
                                                  : core::SmtpReply::make(250, "2.0.0", "Ok"));
      } else if (std::holds_alternative<action::StartTls>(a)) {
        check(run.closes == 0 && settings.tls_available && !protocol.in_transaction());
        ++run.starttls;
        if (flags & 0x04) {
          protocol.tls_failed();
        } else {
          core::SessionInfo info = protocol.session();
          info.tls = true;
          protocol.tls_started(info);
        }
      } else if (std::holds_alternative<action::Close>(a)) {
        ++run.closes;
        check(run.closes == 1);
        check(std::holds_alternative<action::Close>(protocol.next()));
        return;
      }
    }
    check(false);  // the action loop must settle
  }

  void feed(std::string_view bytes) {
    if (run.closes) return;
    protocol.feed(bytes);
    pump();
  }
  void finish() {
    if (!run.closes) {
      protocol.end_of_input();
      pump();
    }
    check(run.closes == 1);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  // Chunked: the reads the client's packets would make.
  Fuzzer chunked(flags);
  std::string joined;
  size_t start = 0, index = 0;
  while (start <= input.size()) {
    size_t sep = input.find('\xFF', start);
    if (sep == std::string_view::npos) sep = input.size();
    chunked.feed(input.substr(start, sep - start));
    joined.append(input.substr(start, sep - start));
    // Events between reads, when asked for by the flags.
    if (!chunked.run.closes) {
      if ((flags & 0x20) && index == 2) chunked.protocol.shutdown(false);
      if ((flags & 0x40) && index == 4) chunked.protocol.shutdown(true);
      if ((flags & 0x80) && index == 6) chunked.protocol.timed_out();
      chunked.pump();
    }
    ++index;
    start = sep + 1;
  }
  chunked.finish();

  // Byte at a time must give the same replies (no events, no STARTTLS, which legitimately
  // discards what was buffered with it).
  if ((flags & 0xE0) == 0 && chunked.run.starttls == 0 && joined.size() <= 1 << 16) {
    Fuzzer bytewise(flags);
    for (char c : joined) bytewise.feed(std::string_view(&c, 1));
    bytewise.finish();
    check(bytewise.run.out == chunked.run.out);
    check(bytewise.run.messages == chunked.run.messages);
  }
  return 0;
}
