// Helpers to drive ClientProtocol with scripted server bytes, no sockets: run the machine until
// it waits, collecting what it would have written.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "relay/client_protocol.hpp"

namespace hikyaku::relay::testing {

struct Step {
  std::string sent;   // every Send's bytes, concatenated
  ClientAction stop;  // the first non-Send action
  std::vector<milliseconds> send_timeouts;

  template <class T>
  bool is() const {
    return std::holds_alternative<T>(stop);
  }
  template <class T>
  const T& as() const {
    return std::get<T>(stop);
  }
};

inline Step run(ClientProtocol& p) {
  Step s;
  while (true) {
    ClientAction a = p.next();
    if (auto* send = std::get_if<client_action::Send>(&a)) {
      s.sent += send->bytes;
      s.send_timeouts.push_back(send->timeout);
      continue;
    }
    s.stop = std::move(a);
    return s;
  }
}

inline Step feed(ClientProtocol& p, std::string_view bytes) {
  p.feed(bytes);
  return run(p);
}

inline ClientSettings settings(bool starttls = false) {
  ClientSettings s;
  s.helo_name = "out.example.net";
  s.peer_name = "mx.dest.example";
  s.starttls = starttls;
  return s;
}

inline core::Address addr(std::string local, std::string domain, bool utf8 = false) {
  core::Address a;
  a.local = std::move(local);
  a.domain = std::move(domain);
  a.utf8_local = utf8;
  return a;
}

inline OutboundTransaction transaction(std::vector<std::string> rcpt_locals,
                                       std::string raw = "Subject: hi\r\n\r\nbody\r\n") {
  OutboundTransaction tx;
  tx.mail_from = addr("srs0=ab=cd=src.example=alice", "fwd.example.net");
  for (auto& l : rcpt_locals) tx.recipients.push_back(addr(std::move(l), "dest.example"));
  tx.message = std::make_shared<core::Message>(std::move(raw));
  return tx;
}

// Greeting + EHLO with these keyword lines; leaves the machine Ready.
inline void open_session(ClientProtocol& p, std::vector<std::string> keywords) {
  Step s = run(p);
  ASSERT_TRUE(s.is<client_action::NeedInput>());
  s = feed(p, "220 mx.dest.example ESMTP\r\n");
  ASSERT_EQ(s.sent, "EHLO out.example.net\r\n");
  std::string reply = keywords.empty() ? "250 mx.dest.example\r\n" : "250-mx.dest.example\r\n";
  for (size_t i = 0; i < keywords.size(); ++i) {
    reply += (i + 1 == keywords.size() ? "250 " : "250-") + keywords[i] + "\r\n";
  }
  s = feed(p, reply);
  ASSERT_TRUE(s.is<client_action::Ready>()) << s.sent;
  ASSERT_EQ(s.sent, "");
}

inline const std::vector<std::string> kFullEsmtp{"PIPELINING", "SIZE 10240000", "8BITMIME",
                                                 "SMTPUTF8", "ENHANCEDSTATUSCODES"};
inline const std::vector<std::string> kNoPipelining{"SIZE 10240000", "8BITMIME",
                                                    "ENHANCEDSTATUSCODES"};

}  // namespace hikyaku::relay::testing
