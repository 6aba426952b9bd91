// The per-connection coroutine: drives ServerProtocol with bytes from the socket and asks the
// MessageSink for decisions. RFC 2920 §3.2 (replies batched, flushed before the server blocks
// on input), RFC 3207 §4.2 (STARTTLS), RFC 5321 §4.5.3.2 (timeouts).
#include "smtpd/session.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ip_address.hpp"
#include "metrics/catalog.hpp"
#include "smtpd/proxy_protocol.hpp"
#include "smtpd/server_protocol.hpp"
#include "smtpd/session_stream.hpp"

namespace hikyaku::smtpd {

using boost::system::error_code;

void SessionControl::request_shutdown(bool immediate) {
  asio::post(executor_, [self = shared_from_this(), immediate] {
    self->shutdown_ = true;
    self->immediate_ = self->immediate_ || immediate;
    if (self->interrupt_) self->interrupt_();
  });
}

std::string new_session_id() {
  static const uint64_t base = [] {
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  const uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  // A Weyl sequence over a random start: unique for 2^48 ids, not guessable from the previous.
  return fmt::format("{:012X}", (base + n * 0x9E3779B97F4Aull) & 0xFFFFFFFFFFFFull);
}

void fill_endpoints(const asio::ip::tcp::socket& socket, core::SessionInfo& info) {
  error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (!ec) {
    const std::string text = remote.address().to_string();
    info.client_ip = core::canonical_ip(text).value_or(text);  // v4-mapped unmapped
    info.client_port = remote.port();
  }
  auto local = socket.local_endpoint(ec);
  if (!ec) {
    info.local_ip = local.address().to_string();
    info.local_port = local.port();
  }
}

asio::awaitable<std::string> read_proxy_header(asio::ip::tcp::socket& socket,
                                               std::chrono::milliseconds timeout,
                                               SessionStart& start) {
  fill_endpoints(socket, start.info);
  asio::steady_timer timer(socket.get_executor());
  timer.expires_after(timeout);
  bool expired = false;
  timer.async_wait([&socket, &expired](error_code ec) {
    if (ec) return;
    expired = true;
    error_code ignored;
    socket.cancel(ignored);
  });
  std::string buffer;
  std::array<char, 4096> chunk{};
  std::string failure;
  while (true) {
    auto parsed = parse_proxy_header(buffer);
    if (auto* header = std::get_if<ProxyHeader>(&parsed)) {
      if (!header->local) {
        // The claimed address in one form (v4-mapped unmapped, RFC 5952) before SPF, DNSBL
        // and the per-client limits see it.
        start.info.proxy_ip = start.info.client_ip;
        start.info.client_ip = core::canonical_ip(header->source_ip).value_or(header->source_ip);
        start.info.client_port = header->source_port;
        start.info.local_ip = header->dest_ip;
        start.info.local_port = header->dest_port;
      }
      start.early_input = buffer.substr(header->consumed);
      metrics::process().proxy_headers.with({header->local ? "local" : "proxied"}).inc();
      break;
    }
    if (auto* invalid = std::get_if<ProxyInvalid>(&parsed)) {
      failure = "invalid PROXY header: " + invalid->reason;
      metrics::process().proxy_headers.with({"invalid"}).inc();
      break;
    }
    if (buffer.size() >= kMaxProxyHeader) {
      failure = "PROXY header too long";
      metrics::process().proxy_headers.with({"too_long"}).inc();
      break;
    }
    error_code ec;
    const size_t want = std::min(chunk.size(), kMaxProxyHeader - buffer.size());
    size_t n = co_await socket.async_read_some(asio::buffer(chunk.data(), want),
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      failure = expired ? "timeout waiting for PROXY header" : "connection lost before PROXY header";
      metrics::process().proxy_headers.with({expired ? "timeout" : "closed"}).inc();
      break;
    }
    buffer.append(chunk.data(), n);
  }
  timer.cancel();
  // Let the timer's cancelled handler run before `expired` and `timer` go out of scope.
  co_await asio::post(socket.get_executor(), asio::use_awaitable);
  co_return failure;
}

namespace {

class Session {
 public:
  Session(asio::ip::tcp::socket socket, std::shared_ptr<const SessionEnvironment> env,
          std::shared_ptr<SessionControl> control, SessionStart start)
      : env_(std::move(env)),
        control_(std::move(control)),
        stream_(std::move(socket)),
        early_input_(std::move(start.early_input)),
        protocol_(settings(*env_), std::move(start.info), env_->config->server.command_timeout,
                  env_->config->server.data_timeout),
        sink_(env_->make_sink()),
        session_deadline_(std::chrono::steady_clock::now() + env_->config->server.max_session_time) {}

  asio::awaitable<void> run() {
    const auto& info = protocol_.session();
    if (info.proxy_ip.empty()) {
      spdlog::info("{}: connect from [{}]:{}", info.session_id, info.client_ip, info.client_port);
    } else {
      spdlog::info("{}: connect from [{}]:{} via [{}]", info.session_id, info.client_ip, info.client_port,
                   info.proxy_ip);
    }
    control_->attach([this] { stream_.cancel(); });
    if (auto refusal = co_await sink_->on_connect(info)) {
      spdlog::info("{}: reject: CONNECT from [{}]: {}", info.session_id, info.client_ip,
                   refusal->summary());
      output_ = refusal->render();
      co_await flush();
      control_->detach();
      stream_.close();
      spdlog::info("{}: disconnect from [{}] refused", info.session_id, info.client_ip);
      co_return;
    }
    protocol_.start();
    if (!early_input_.empty()) protocol_.feed(early_input_);
    co_await loop();
    control_->detach();
    stream_.close();
    // Postfix's counters, then why the session ended ("quit", "timeout", "lost connection: ...").
    const std::string counts = protocol_.command_counts();
    spdlog::info("{}: disconnect from [{}] {}{}({})", info.session_id, info.client_ip, counts,
                 counts.empty() ? "" : " ", closing_reason_);
  }

 private:
  static ProtocolSettings settings(const SessionEnvironment& env) {
    ProtocolSettings s = ProtocolSettings::from(env.config->server);
    s.tls_available = env.tls != nullptr;
    s.inflight = env.inflight;
    return s;
  }

  std::chrono::milliseconds write_timeout() const { return env_->config->server.command_timeout; }

  asio::awaitable<bool> flush() {
    if (output_.empty()) co_return true;
    error_code ec;
    co_await stream_.write(output_, write_timeout(), ec);
    output_.clear();
    if (ec) {
      closing_reason_ = "write failed: " + ec.message();
      co_return false;
    }
    co_return true;
  }

  // A shutdown request (or the end of its grace) arrived: tell the protocol.
  void apply_shutdown() {
    if (!control_->shutdown_requested() || shutdown_seen_ == (control_->immediate() ? 2 : 1)) return;
    shutdown_seen_ = control_->immediate() ? 2 : 1;
    protocol_.shutdown(control_->immediate());
  }

  asio::awaitable<void> loop() {
    std::array<char, 16384> buffer{};
    while (true) {
      apply_shutdown();
      Action action = protocol_.next();
      if (auto* send = std::get_if<action::Send>(&action)) {
        // Postfix-style: "reject: MAIL from [ip]: 555 5.5.4 ...; why" (a note says more).
        if (!send->refusal.empty()) {
          const auto colon = send->refusal.find(": ");
          spdlog::info("{}: reject: {} from [{}]: {}{}{}", protocol_.session().session_id,
                       send->refusal.substr(0, colon), protocol_.session().client_ip, send->refusal.substr(colon + 2),
                       send->note.empty() ? "" : "; ", send->note);
        } else if (!send->note.empty()) {
          spdlog::info("{}: reject from [{}]: {}", protocol_.session().session_id,
                       protocol_.session().client_ip, send->note);
        }
        output_ += send->bytes;
      } else if (auto* need = std::get_if<action::NeedInput>(&action)) {
        if (!co_await flush()) co_return;
        // Each wait is bounded by its own timeout and by what is left of the session's life.
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            session_deadline_ - std::chrono::steady_clock::now());
        if (left <= std::chrono::milliseconds(0)) {
          protocol_.session_expired();
          continue;
        }
        const bool session_bound = left < need->timeout;
        error_code ec;
        size_t n = co_await stream_.read_some(asio::buffer(buffer), session_bound ? left : need->timeout, ec);
        if (ec == asio::error::timed_out) {
          if (session_bound) {
            protocol_.session_expired();
          } else {
            protocol_.timed_out();
          }
        } else if (ec == asio::error::operation_aborted && control_->shutdown_requested()) {
          continue;  // apply_shutdown() at the top of the loop
        } else if (ec) {
          if (closing_reason_.empty()) closing_reason_ = "lost connection: " + ec.message();
          protocol_.end_of_input();
        } else {
          protocol_.feed(std::string_view(buffer.data(), n));
        }
      } else if (auto* check = std::get_if<action::CheckRecipient>(&action)) {
        auto reply = co_await sink_->on_rcpt(protocol_.envelope(), check->rcpt);
        protocol_.recipient_checked(reply);
      } else if (std::holds_alternative<action::DeliverMessage>(action)) {
        auto reply = co_await sink_->on_message(protocol_.envelope(), protocol_.message());
        protocol_.message_delivered(reply);
      } else if (std::holds_alternative<action::StartTls>(action)) {
        if (!co_await flush()) co_return;
        co_await start_tls();
      } else if (std::holds_alternative<action::Close>(action)) {
        co_await flush();
        if (const auto limit = protocol_.limit_reached(); !limit.empty()) {
          spdlog::warn("{}: {} for [{}]: 421 and closing", protocol_.session().session_id, limit,
                       protocol_.session().client_ip);
          closing_reason_ = std::string(limit);
        }
        if (closing_reason_.empty()) closing_reason_ = protocol_.quit_received() ? "quit" : "closed";
        co_return;
      }
    }
  }

  asio::awaitable<void> start_tls() {
    error_code ec;
    co_await stream_.start_tls(*env_->tls, env_->config->server.tls_handshake_timeout, ec);
    if (ec) {
      spdlog::warn("{}: TLS handshake failed with [{}]: {}", protocol_.session().session_id,
                   protocol_.session().client_ip, ec.message());
      closing_reason_ = "TLS handshake failed";
      metrics::process().tls.with({"in", "none", "failed"}).inc();
      protocol_.tls_failed();
      co_return;
    }
    core::SessionInfo info = protocol_.session();
    info.tls = true;
    info.tls_version = stream_.tls_version();
    info.tls_cipher = stream_.tls_cipher();
    metrics::process().tls.with({"in", info.tls_version, "ok"}).inc();
    spdlog::info("{}: TLS established with [{}]: {} {}", info.session_id, info.client_ip,
                 info.tls_version, info.tls_cipher);
    protocol_.tls_started(info);
  }

  std::shared_ptr<const SessionEnvironment> env_;
  std::shared_ptr<SessionControl> control_;
  SessionStream stream_;
  std::string early_input_;
  ServerProtocol protocol_;
  std::unique_ptr<MessageSink> sink_;
  std::string output_;
  std::string closing_reason_;
  int shutdown_seen_ = 0;
  std::chrono::steady_clock::time_point session_deadline_;
};

}  // namespace

asio::awaitable<void> run_session(asio::ip::tcp::socket socket,
                                  std::shared_ptr<const SessionEnvironment> env,
                                  std::shared_ptr<SessionControl> control, SessionStart start) {
  if (start.info.client_ip.empty()) fill_endpoints(socket, start.info);
  if (start.info.session_id.empty()) start.info.session_id = new_session_id();
  const std::string id = start.info.session_id;
  try {
    Session session(std::move(socket), std::move(env), std::move(control), std::move(start));
    co_await session.run();
  } catch (const std::exception& e) {
    spdlog::error("{}: session ended by an internal error: {}", id, e.what());
  }
}

}  // namespace hikyaku::smtpd
