// A test driver for ServerProtocol: feeds bytes, collects every Send, and answers CheckRecipient
// and DeliverMessage from tables the test sets, the way smtpd/session.cpp does with a socket.
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "smtpd/server_protocol.hpp"

namespace hikyaku::smtpd::test {

using namespace std::chrono_literals;

inline ProtocolSettings test_settings() {
  ProtocolSettings s;
  s.hostname = "mx.test";
  s.max_command_line = 512;
  s.max_text_line = 1000;
  s.max_message_size = 10000;
  s.max_recipients = 5;
  s.max_errors = 10;
  s.tls_available = true;
  return s;
}

inline core::SessionInfo test_session() {
  core::SessionInfo info;
  info.session_id = "S1";
  info.client_ip = "192.0.2.7";
  info.client_port = 40000;
  return info;
}

class Driver {
 public:
  static constexpr std::chrono::milliseconds kCommandTimeout = 300s;
  static constexpr std::chrono::milliseconds kDataTimeout = 180s;

  explicit Driver(ProtocolSettings settings = test_settings(), bool greet = true)
      : protocol(std::move(settings), test_session(), kCommandTimeout, kDataTimeout) {
    if (greet) {
      protocol.start();
      pump();
    }
  }

  // Feeds `bytes` in one piece and returns what the server wrote in response.
  std::string feed(std::string_view bytes) {
    const size_t before = out.size();
    protocol.feed(bytes);
    pump();
    return out.substr(before);
  }
  // Feeds one octet at a time (pumping in between).
  std::string feed_bytewise(std::string_view bytes) {
    const size_t before = out.size();
    for (char c : bytes) {
      if (closes) break;
      protocol.feed(std::string_view(&c, 1));
      pump();
    }
    return out.substr(before);
  }
  // Runs the action loop until the machine waits for input or closes.
  void pump() {
    for (int guard = 0; guard < 1000000; ++guard) {
      Action a = protocol.next();
      if (auto* send = std::get_if<action::Send>(&a)) {
        EXPECT_EQ(closes, 0) << "Send after Close";
        EXPECT_GE(send->bytes.size(), 2u);
        EXPECT_EQ(send->bytes.substr(send->bytes.size() - 2), "\r\n");
        out += send->bytes;
        if (!send->note.empty()) notes.push_back(send->note);
        if (!send->refusal.empty()) refusals.push_back(send->refusal);
      } else if (auto* need = std::get_if<action::NeedInput>(&a)) {
        last_timeout = need->timeout;
        return;
      } else if (auto* check = std::get_if<action::CheckRecipient>(&a)) {
        checked.push_back(check->rcpt.str());
        envelope_at_check.push_back(protocol.envelope());
        auto it = rcpt_replies.find(check->rcpt.str());
        protocol.recipient_checked(it == rcpt_replies.end() ? rcpt_ok : it->second);
      } else if (std::holds_alternative<action::DeliverMessage>(a)) {
        messages.push_back(protocol.message().raw());
        envelopes.push_back(protocol.envelope());
        protocol.message_delivered(delivery_reply);
      } else if (std::holds_alternative<action::StartTls>(a)) {
        ++starttls;
        if (tls_succeeds) {
          core::SessionInfo info = protocol.session();
          info.tls = true;
          info.tls_version = "TLSv1.3";
          protocol.tls_started(info);
        } else {
          protocol.tls_failed();
        }
      } else if (std::holds_alternative<action::Close>(a)) {
        ++closes;
        // After Close, next() keeps saying Close.
        EXPECT_TRUE(std::holds_alternative<action::Close>(protocol.next()));
        return;
      }
    }
    ADD_FAILURE() << "action loop did not settle";
  }

  ServerProtocol protocol;
  std::map<std::string, core::SmtpReply> rcpt_replies;  // by Address::str()
  core::SmtpReply rcpt_ok = core::SmtpReply::make(250, "2.1.5", "Ok");
  core::SmtpReply delivery_reply = core::SmtpReply::make(250, "2.0.0", "Ok: queued as X");
  bool tls_succeeds = true;

  std::string out;  // every byte sent, greeting included
  std::vector<std::string> notes;  // the log reasons given with refusals
  std::vector<std::string> refusals;  // the protocol's own refusals, "VERB: reply", for the log
  int closes = 0;
  int starttls = 0;
  std::chrono::milliseconds last_timeout{0};
  std::vector<std::string> checked;
  std::vector<core::Envelope> envelope_at_check;
  std::vector<std::string> messages;
  std::vector<core::Envelope> envelopes;
};

// The reply codes in `text`, one per reply (the last line of each multiline reply).
inline std::vector<int> codes(std::string_view text) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    if (line.size() >= 4 && line[3] == ' ') out.push_back(std::stoi(std::string(line.substr(0, 3))));
    if (line.size() == 3) out.push_back(std::stoi(std::string(line)));
    pos = eol + 2;
  }
  return out;
}

// A session that has said EHLO and MAIL, ready for RCPTs.
inline std::unique_ptr<Driver> in_transaction(ProtocolSettings s = test_settings()) {
  auto d = std::make_unique<Driver>(std::move(s));
  d->feed("EHLO client.test\r\nMAIL FROM:<a@sender.test>\r\n");
  return d;
}

// A session with one accepted recipient, ready for DATA.
inline std::unique_ptr<Driver> ready_for_data(ProtocolSettings s = test_settings()) {
  auto d = in_transaction(std::move(s));
  d->feed("RCPT TO:<b@rcpt.test>\r\n");
  return d;
}

}  // namespace hikyaku::smtpd::test
