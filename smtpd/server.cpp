// The SMTP listener: accept loops, connection limits (total and per client IP), PROXY headers
// on proxy listeners, and the drain on shutdown. RFC 5321 §3.1, §4.3.2 (421 replies).
#include "smtpd/server.hpp"

#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "metrics/catalog.hpp"
#include "smtpd/session.hpp"

namespace hikyaku::smtpd {

using asio::ip::tcp;
using boost::system::error_code;

bool is_trusted_proxy(const std::string& peer_ip, const std::vector<core::IpPrefix>& trusted) {
  const auto address = core::IpAddress::parse(peer_ip);
  if (!address) return false;
  for (const auto& prefix : trusted) {
    if (prefix.contains(*address)) return true;
  }
  return false;
}

struct Server::Listener {
  tcp::acceptor acceptor;
  bool proxy = false;
  std::string text;
};

Server::Server(asio::io_context& io, EnvironmentProvider environment)
    : io_(io), environment_(std::move(environment)) {}

Server::~Server() = default;

void Server::listen(const std::vector<config::ListenAddress>& addresses) {
  for (const auto& address : addresses) {
    error_code ec;
    auto ip = asio::ip::make_address(address.host, ec);
    if (ec) throw std::system_error(ec, "listen " + address.text());
    tcp::endpoint endpoint(ip, address.port);
    auto listener = std::make_shared<Listener>(Listener{tcp::acceptor(io_), address.proxy, address.text()});
    auto& acc = listener->acceptor;
    acc.open(endpoint.protocol(), ec);
    if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && ip.is_v6()) acc.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acc.bind(endpoint, ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::system_error(ec, "listen " + address.text());
    spdlog::info("listening on {}{}", address.text(), address.proxy ? " (PROXY protocol required)" : "");
    listeners_.push_back(listener);
    asio::co_spawn(io_, accept_loop(listener), log_failure("accept loop on " + address.text()));
  }
}

std::vector<tcp::endpoint> Server::local_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& l : listeners_) {
    error_code ec;
    out.push_back(l->acceptor.local_endpoint(ec));
  }
  return out;
}

asio::awaitable<void> Server::accept_loop(std::shared_ptr<Listener> listener) {
  while (true) {
    error_code ec;
    tcp::socket socket = co_await listener->acceptor.async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !listener->acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning.
      spdlog::warn("accept on {}: {}", listener->text, ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
      continue;
    }
    // SMTP is request and reply: a reply must leave at once, not wait for the client's delayed
    // ACK of the previous segment (Nagle, RFC 896), which costs each transaction ~40 ms.
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket), listener->proxy), log_failure("session"));
  }
}

namespace {

// One counted connection, given back to the tracker when the serving coroutine ends.
class CountedConnection {
 public:
  CountedConnection(ConnectionTracker& tracker, std::string ip) : tracker_(tracker), ip_(std::move(ip)) {}
  ~CountedConnection() { tracker_.remove(ip_); }
  CountedConnection(const CountedConnection&) = delete;
  CountedConnection& operator=(const CountedConnection&) = delete;
  void moved_to(std::string ip) { ip_ = std::move(ip); }

 private:
  ConnectionTracker& tracker_;
  std::string ip_;
};

// RFC 5321 §3.1: a server may refuse a connection with a 421 greeting.
void refuse_busy(tcp::socket& socket, const core::SessionInfo& info, const std::string& hostname) {
  spdlog::warn("{}: too many connections (from [{}] as {}, or in total): refused", info.session_id,
               info.client_ip, client_key(info.client_ip));
  const std::string reply = fmt::format("421 4.7.0 {} Error: too many connections\r\n", hostname);
  error_code ec;
  asio::write(socket, asio::buffer(reply), ec);
  socket.close(ec);
}

}  // namespace

asio::awaitable<void> Server::serve(tcp::socket socket, bool proxy) {
  auto env = environment_();
  const auto& server = env->config->server;
  SessionStart start;
  start.info.session_id = new_session_id();
  fill_endpoints(socket, start.info);
  if (start.info.client_ip.empty()) co_return;  // the client is already gone
  // A connection is counted from accept on. Before its PROXY header it is counted under its
  // peer (a proxy sends the header at once, so only a client connecting directly stays silent
  // here), and a flood of silent connections takes no more than that peer's share.
  const std::string peer_ip = start.info.client_ip;
  auto& connections = metrics::process().connections;
  const std::string_view listener = proxy ? "proxy" : "smtp";
  if (!tracker_.try_add(peer_ip, server.max_connections, server.max_connections_per_ip)) {
    connections.with({listener, "busy"}).inc();
    refuse_busy(socket, start.info, server.hostname);
    co_return;
  }
  CountedConnection counted(tracker_, peer_ip);
  if (proxy) {
    // Only a trusted proxy may say who the client is (its header is believed as written).
    if (!is_trusted_proxy(peer_ip, server.trusted_proxies)) {
      spdlog::warn("{}: refused connection from [{}]:{} to a PROXY listener: not in server.trusted_proxies",
                   start.info.session_id, peer_ip, start.info.client_port);
      connections.with({listener, "untrusted_proxy"}).inc();
      metrics::process().proxy_headers.with({"untrusted"}).inc();
      error_code ec;
      socket.close(ec);
      co_return;
    }
    spdlog::debug("{}: connection from [{}]:{} on a proxy listener, waiting for its PROXY header",
                  start.info.session_id, peer_ip, start.info.client_port);
    std::string failure = co_await read_proxy_header(socket, server.proxy_timeout, start);
    if (!failure.empty()) {
      spdlog::warn("{}: refused connection from [{}]: {}", start.info.session_id,
                   start.info.client_ip, failure);
      connections.with({listener, "bad_proxy_header"}).inc();
      error_code ec;
      socket.close(ec);
      co_return;
    }
    if (!tracker_.try_move(peer_ip, start.info.client_ip, server.max_connections_per_ip)) {
      connections.with({listener, "busy"}).inc();
      refuse_busy(socket, start.info, server.hostname);
      co_return;
    }
    counted.moved_to(start.info.client_ip);
  }
  connections.with({listener, "accepted"}).inc();
  auto control = std::make_shared<SessionControl>(socket.get_executor());
  control->client_ip = start.info.client_ip;
  {
    std::lock_guard lock(sessions_mu_);
    if (stopping_) control->request_shutdown(false);
    sessions_.insert(control);
  }
  co_await run_session(std::move(socket), env, control, std::move(start));
  session_ended(control);
}

void Server::session_ended(const std::shared_ptr<SessionControl>& control) {
  std::function<void()> done;
  {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(control);
    if (stopping_ && sessions_.empty() && drained_) done = std::exchange(drained_, nullptr);
  }
  if (done) asio::post(io_, std::move(done));
}

void Server::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  for (auto& l : listeners_) {
    error_code ec;
    l->acceptor.close(ec);
  }
  std::vector<std::shared_ptr<SessionControl>> sessions;
  {
    std::lock_guard lock(sessions_mu_);
    stopping_ = true;
    sessions.assign(sessions_.begin(), sessions_.end());
    if (sessions.empty()) {
      asio::post(io_, std::move(done));
      return;
    }
    drained_ = std::move(done);
  }
  spdlog::info("shutting down: {} session(s) may finish their transaction within {} ms",
               sessions.size(), grace.count());
  for (auto& s : sessions) s->request_shutdown(false);
  grace_timer_ = std::make_unique<asio::steady_timer>(io_, grace);
  grace_timer_->async_wait([this](error_code ec) {
    if (ec) return;
    std::lock_guard lock(sessions_mu_);
    if (!sessions_.empty()) spdlog::info("grace period over: closing {} session(s)", sessions_.size());
    for (auto& s : sessions_) s->request_shutdown(true);
  });
}

bool Server::stopping() const {
  std::lock_guard lock(sessions_mu_);
  return stopping_;
}

size_t Server::active_sessions() const {
  std::lock_guard lock(sessions_mu_);
  return sessions_.size();
}

}  // namespace hikyaku::smtpd
