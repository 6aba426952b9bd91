// The SMTP listener: accepts connections on every configured address, enforces the connection
// limits, hands each connection to a session coroutine, and drains on shutdown.
// RFC 5321 §3.1 (session initiation), §4.3.2 (421 when the service is not available).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "smtpd/connection_tracker.hpp"
#include "smtpd/inflight_budget.hpp"
#include "smtpd/message_sink.hpp"
#include "smtpd/tls_context.hpp"

namespace hikyaku::smtpd {

// Everything a session needs, fixed for its lifetime: a session keeps the configuration it
// started with even when SIGHUP loads a new one.
struct SessionEnvironment {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<TlsContext> tls;  // null: STARTTLS not offered
  std::function<std::unique_ptr<MessageSink>()> make_sink;
  InflightBudget* inflight = nullptr;  // process-wide, outlives every session; null: no budget
};
using EnvironmentProvider = std::function<std::shared_ptr<const SessionEnvironment>()>;

class SessionControl;

// True when peer_ip (canonical text) lies in one of the trusted prefixes: a PROXY header is
// believed only from such a peer.
bool is_trusted_proxy(const std::string& peer_ip, const std::vector<core::IpPrefix>& trusted);

class Server {
 public:
  Server(asio::io_context& io, EnvironmentProvider environment);
  ~Server();
  // Binds and starts accepting; throws std::system_error naming the address when a bind fails.
  void listen(const std::vector<config::ListenAddress>& addresses);
  // The addresses actually bound (port 0 resolved), in listen order.
  std::vector<asio::ip::tcp::endpoint> local_endpoints() const;
  // Stops accepting and asks every session to end after its current transaction; after
  // `grace` the rest get 421 at once. `done` runs when the last session has ended.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> done);
  size_t active_sessions() const;
  // shutdown() has been called (the server is draining).
  bool stopping() const;

 private:
  struct Listener;
  asio::awaitable<void> accept_loop(std::shared_ptr<Listener> listener);
  asio::awaitable<void> serve(asio::ip::tcp::socket socket, bool proxy);
  void session_ended(const std::shared_ptr<SessionControl>& control);

  asio::io_context& io_;
  EnvironmentProvider environment_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  ConnectionTracker tracker_;
  mutable std::mutex sessions_mu_;
  std::set<std::shared_ptr<SessionControl>> sessions_;
  bool stopping_ = false;
  std::function<void()> drained_;
  std::unique_ptr<asio::steady_timer> grace_timer_;
};

}  // namespace hikyaku::smtpd
