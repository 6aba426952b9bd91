// A tiny scripted SMTP server on a loopback port for the client socket tests: greets (or not),
// answers EHLO/MAIL/RCPT/DATA/RSET/QUIT, optionally STARTTLS with a throwaway self-signed
// certificate, and records what it saw. Only ever listens on 127.0.0.1 or ::1.
#pragma once
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/asio.hpp"

namespace hikyaku::relay::testing {

struct ServerBehavior {
  bool greet = true;     // false: accept, then never say anything
  bool trickle = false;  // greet with "220-" lines every 100 ms, never ending
  std::string greeting = "220 sink.test ESMTP";
  std::vector<std::string> keywords{"PIPELINING", "SIZE 10000000", "8BITMIME",
                                    "ENHANCEDSTATUSCODES"};
  bool starttls = false;         // offer STARTTLS (a self-signed certificate)
  bool broken_tls = false;       // answer 220 to STARTTLS, then send garbage and close
  bool close_mid_data = false;   // after 354, read one line of the message and close
  std::set<std::string> refuse;  // RCPT addresses answered with 550 5.1.1
  // Wait this long before answering each RCPT.
  std::chrono::milliseconds rcpt_delay{0};
};

struct ServerLog {
  int connections = 0;
  std::vector<std::string> commands;  // every command line, in order
  std::vector<std::string> messages;  // each message ended by its ".", dot-unstuffed
  // Message data the client cut off before the "." (so not a message, RFC 5321 §3.3).
  std::vector<std::string> unfinished;
  std::vector<std::string> peers;  // remote address of each connection
  int tls_sessions = 0;
};

class FakeSmtpServer {
 public:
  FakeSmtpServer(asio::io_context& io, const std::string& bind_address, ServerBehavior behavior);
  ~FakeSmtpServer();

  asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  // SHA-256 of the STARTTLS certificate's public key (a DANE-EE "3 1 1" TLSA record's data).
  const std::string& spki_sha256() const { return spki_sha256_; }
  const ServerLog& log() const { return *log_; }
  ServerBehavior& behavior() { return *behavior_; }
  // Closes every open session (the server side of an idle connection going away).
  void kick();
  // Stops accepting and closes every session.
  void stop();

  struct Shared;  // what the server's coroutines share (defined in the .cpp)

 private:
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ServerLog> log_;
  std::shared_ptr<ServerBehavior> behavior_;
  asio::ip::tcp::endpoint endpoint_;
  std::string spki_sha256_;
};

// A port on `address` where nothing listens (bound, then closed): connecting is refused.
asio::ip::tcp::endpoint closed_port(const std::string& address);
// True when the address can be bound here (::1 may be missing in containers).
bool can_bind(const std::string& address);

}  // namespace hikyaku::relay::testing
