// One SMTP connection: the coroutine that owns the socket and drives the sans-I/O
// ServerProtocol (reads bounded in size and time, replies batched for PIPELINING, STARTTLS).
// RFC 5321 §4 (the session), RFC 2920 §3.2 (flush before blocking), RFC 3207 (STARTTLS).
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "core/envelope.hpp"
#include "core/asio.hpp"
#include "smtpd/server.hpp"

namespace hikyaku::smtpd {

// Shared by the server and one session, so the server can ask the session to end.
class SessionControl : public std::enable_shared_from_this<SessionControl> {
 public:
  explicit SessionControl(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  // Thread-safe. Runs on the session's executor: sets the flags and interrupts a pending read.
  void request_shutdown(bool immediate);
  // Called by the session on its own executor.
  void attach(std::function<void()> interrupt) { interrupt_ = std::move(interrupt); }
  void detach() { interrupt_ = nullptr; }
  bool shutdown_requested() const { return shutdown_; }
  bool immediate() const { return immediate_; }
  std::string client_ip;  // for the connection tracker

 private:
  asio::any_io_executor executor_;
  std::function<void()> interrupt_;
  bool shutdown_ = false;
  bool immediate_ = false;
};

struct SessionStart {
  core::SessionInfo info;
  std::string early_input;  // bytes read after a PROXY header, already SMTP
};

// Runs the whole SMTP session on `socket` until it ends; never throws.
asio::awaitable<void> run_session(asio::ip::tcp::socket socket,
                                  std::shared_ptr<const SessionEnvironment> env,
                                  std::shared_ptr<SessionControl> control, SessionStart start);

// Reads a PROXY v1/v2 header within `timeout`. On success fills client/local addresses in
// `start.info` and leaves bytes after the header in `start.early_input`; else returns why.
asio::awaitable<std::string> read_proxy_header(asio::ip::tcp::socket& socket,
                                               std::chrono::milliseconds timeout,
                                               SessionStart& start);

// Fills client and local address and port from the socket (IPv4-mapped IPv6 shown as IPv4).
void fill_endpoints(const asio::ip::tcp::socket& socket, core::SessionInfo& info);

// A new identifier for a session or transaction: 12 upper-case hex digits, unique in the process.
std::string new_session_id();

}  // namespace hikyaku::smtpd
