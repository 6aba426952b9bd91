// The client coroutine: TCP connect with a deadline and an egress address, the protocol's I/O
// (every read and write under its stage's deadline, STARTTLS), the wait at the commit gate, and
// fallback over addresses. RFC 5321 §5.1 (next address on temporary failure), §4.5.3.2
// (timeouts), §3.3 (no "." after an abort: the server discards the message), RFC 3207 §4.
#include "relay/smtp_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ssl/error.hpp>

#include "relay/commit_gate.hpp"
#include "relay/connection_pool.hpp"

namespace hikyaku::relay {

using boost::system::error_code;
namespace ip = asio::ip;

namespace {

std::string endpoint_string(const ip::tcp::endpoint& ep) {
  const auto addr = ep.address();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  return addr.to_string() + ":" + std::to_string(ep.port());
}

std::string describe(const error_code& ec) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return "connection closed by the server";
  }
  if (ec == asio::error::connection_reset) return "connection reset";
  return ec.message();
}

core::SmtpReply connect_failure(const std::string& host, const ip::tcp::endpoint& ep,
                                std::string_view why) {
  // RFC 3463 X.4.1: "No answer from host"; always temporary, another address may answer.
  return core::SmtpReply::make(
      451, "4.4.1", "Upstream " + host + " " + endpoint_string(ep) + ": " + std::string(why));
}

ConnectionOutcome failed_outcome(const std::string& host, std::string endpoint,
                                 const OutboundTransaction& tx, ConnectionFailure failure) {
  ConnectionOutcome out;
  out.host = host;
  out.endpoint = std::move(endpoint);
  for (const auto& r : tx.recipients) {
    out.result.recipients.push_back({r, failure.reply, failure.from_upstream});
  }
  out.failure = std::move(failure);
  return out;
}

// How a new connection's TLS went, as a TLS report counts it (RFC 8460 §4.3); nullopt when it
// never came to STARTTLS (no connection, no greeting or EHLO) or was not to use TLS.
std::optional<TlsSessionRecord> tls_session_of(SmtpConnection& connection,
                                               const std::optional<ConnectionFailure>& failure) {
  if (!connection.tls_requested()) return std::nullopt;
  const Stage stage = failure ? failure->stage : Stage::mail;
  if (stage == Stage::connect || stage == Stage::greeting || stage == Stage::ehlo ||
      stage == Stage::helo) {
    return std::nullopt;
  }
  TlsSessionRecord r;
  r.mx_host = connection.host();
  r.endpoint = connection.endpoint_text();
  r.receiving_ip = connection.endpoint().address().to_string();
  r.sending_ip = connection.local_ip();
  const TlsCheck& check = connection.tls_check();
  if (connection.tls()) {
    r.success = !check.checked || check.passed;
    if (!r.success) {
      r.result_type = check.result_type;  // a report-only check that failed
      r.detail = check.detail;
    }
  } else if (stage == Stage::tls_handshake) {
    r.result_type = check.checked && !check.passed ? check.result_type : "validation-failure";
    r.detail = failure->reply.summary();
  } else {
    // Not offered or refused (made up as 4.7.4 when TLS was required), or no STARTTLS at all.
    r.result_type = "starttls-not-supported";
    r.detail = failure && stage == Stage::starttls ? failure->reply.summary() : "STARTTLS not offered";
  }
  return r;
}

asio::awaitable<void> quit_owned(std::unique_ptr<SmtpConnection> connection) {
  co_await quit(*connection);
}

}  // namespace

ClientOptions ClientOptions::from(const config::RelayConfig& relay) {
  ClientOptions o;
  o.helo_name = relay.helo_name;
  o.connect_timeout = relay.connect_timeout;
  o.sources = SourceAddresses::parse(relay.source_ipv4, relay.source_ipv6);
  // [relay] verify_certificates: every destination at least WebPKI-verified (relay/tls_policy
  // may still ask for DANE).
  if (relay.verify_certificates) o.tls.level = TlsLevel::verify;
  o.timeouts.greeting = relay.command_timeout;
  o.timeouts.ehlo = relay.command_timeout;
  o.timeouts.starttls = relay.command_timeout;
  o.timeouts.mail = relay.command_timeout;
  o.timeouts.rcpt = relay.command_timeout;
  o.timeouts.data = relay.data_start_timeout;
  o.timeouts.data_block = relay.data_block_timeout;
  o.timeouts.final_reply = relay.final_reply_timeout;
  o.tls_context = make_client_tls(relay.tls_ca_file);
  return o;
}

SmtpConnection::SmtpConnection(beast::tcp_stream stream, std::string host,
                               ip::tcp::endpoint endpoint, const ClientOptions& options)
    : stream_(std::move(stream)),
      protocol_([&] {
        ClientSettings settings;
        settings.helo_name = options.helo_name;
        settings.peer_name = host;
        settings.starttls = options.starttls() && options.tls_context != nullptr;
        settings.tls_required = options.tls.mandatory();
        settings.timeouts = options.timeouts;
        settings.own_names = options.own_names;
        return settings;
      }()),
      host_(std::move(host)),
      endpoint_(std::move(endpoint)),
      options_(options) {
  boost::system::error_code ec;
  const auto local = stream_.lowest().socket().local_endpoint(ec);
  if (!ec) local_ip_ = local.address().to_string();
}

std::string SmtpConnection::endpoint_text() const {
  return endpoint_string(endpoint_);
}

asio::awaitable<ClientAction> SmtpConnection::run() {
  // One deadline per awaited reply (RFC 5321 §4.5.3.2), not per read: see NeedInput::wait.
  std::optional<uint64_t> wait;
  std::chrono::steady_clock::time_point deadline;
  while (true) {
    ClientAction action = protocol_.next();
    if (auto* send = std::get_if<client_action::Send>(&action)) {
      error_code ec;
      co_await stream_.write(send->bytes, send->timeout, ec);
      if (ec == beast::error::timeout)
        protocol_.timed_out();
      else if (ec)
        protocol_.connection_lost(describe(ec));
    } else if (auto* need = std::get_if<client_action::NeedInput>(&action)) {
      const auto now = std::chrono::steady_clock::now();
      if (wait != need->wait) {
        wait = need->wait;
        deadline = now + need->timeout;
      }
      if (now >= deadline) {
        protocol_.timed_out();
        continue;
      }
      error_code ec;
      const size_t n =
          co_await stream_.read_some(asio::buffer(read_buffer_.data(), read_buffer_.size()),
                                     std::chrono::ceil<milliseconds>(deadline - now), ec);
      if (n > 0) protocol_.feed(std::string_view(read_buffer_.data(), n));
      if (ec == beast::error::timeout)
        protocol_.timed_out();
      else if (ec)
        protocol_.connection_lost(describe(ec));
    } else if (auto* tls = std::get_if<client_action::StartTls>(&action)) {
      // Every byte read so far went into the protocol, which has dropped what followed the
      // 220 (RFC 3207 §4.2); this side holds no unread plaintext.
      error_code ec;
      std::string setup_error;
      co_await stream_.start_tls(*options_.tls_context, host_, options_.tls, tls->timeout, ec,
                                 setup_error);
      tls_check_ = stream_.tls_check(options_.tls);
      if (!setup_error.empty()) {
        protocol_.tls_failed(setup_error);
      } else if (ec) {
        std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
        if (tls_check_.checked && !tls_check_.passed) why = tls_check_.result_type + ": " + tls_check_.detail;
        protocol_.tls_failed(why);
      } else {
        protocol_.tls_started();
      }
    } else if (std::holds_alternative<client_action::Failed>(action) ||
               std::holds_alternative<client_action::Closed>(action)) {
      stream_.close();
      co_return action;
    } else {
      co_return action;  // Ready, Hold or Done
    }
  }
}

asio::awaitable<ConnectResult> connect_to(asio::any_io_executor executor, std::string host,
                                          ip::tcp::endpoint endpoint,
                                          const ClientOptions& options) {
  ConnectResult result;
  beast::tcp_stream stream(executor);
  error_code ec;
  stream.socket().open(endpoint.protocol(), ec);
  if (!ec) {
    // The next egress address of the destination's family (DESIGN §1 step 6); port 0: any.
    const auto source = options.sources ? options.sources->next_for(endpoint.address())
                                        : std::optional<ip::address>{};
    if (source) stream.socket().bind(ip::tcp::endpoint(*source, 0), ec);
    if (ec) {
      result.failure = ConnectionFailure{
          Stage::connect,
          connect_failure(host, endpoint,
                          "cannot bind source address " + source->to_string() + ": " + ec.message()),
          false};
      co_return result;
    }
  }
  if (!ec) {
    stream.expires_after(options.connect_timeout);
    co_await stream.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    stream.expires_never();
    // Commands and the final "." must go out at once, not wait for a delayed ACK (Nagle).
    if (!ec) {
      error_code nodelay_ec;
      stream.socket().set_option(ip::tcp::no_delay(true), nodelay_ec);
    }
  }
  if (ec) {
    const std::string why = ec == beast::error::timeout ? "no answer within the connect timeout"
                            : ec == asio::error::connection_refused ? "connection refused"
                                                                    : ec.message();
    result.failure = ConnectionFailure{Stage::connect, connect_failure(host, endpoint, why), false};
    co_return result;
  }
  result.connection =
      std::make_unique<SmtpConnection>(std::move(stream), std::move(host), endpoint, options);
  co_return result;
}

asio::awaitable<ConnectionOutcome> deliver_over(SmtpConnection& connection,
                                                OutboundTransaction tx) {
  const bool reused = connection.transactions() > 0;
  ClientAction action = co_await connection.run();
  std::optional<std::chrono::steady_clock::time_point> began;
  if (std::holds_alternative<client_action::Ready>(action)) {
    began = std::chrono::steady_clock::now();
    connection.protocol().begin(tx, tx.hold ? EndOfData::hold : EndOfData::send);
    action = co_await connection.run();
  }
  bool held = false;
  bool committed = false;
  if (std::holds_alternative<client_action::Hold>(action)) {
    // The body is out, the "." held back: wait for the other transactions of the message
    // (DESIGN §1 step 7). Only a transaction with a hold gets here.
    held = true;
    committed = co_await tx.hold->arrive();
    // Abort: Done at once and not usable(), so the connection is closed below without a
    // byte more (no ".", no QUIT).
    connection.protocol().release(committed);
    action = co_await connection.run();
  }
  ConnectionOutcome out;
  if (auto* done = std::get_if<client_action::Done>(&action)) {
    out.host = connection.host();
    out.endpoint = connection.endpoint_text();
    out.result = std::move(done->result);
    connection.count_transaction();
    if (!connection.protocol().usable()) connection.close();
  } else if (auto* failed = std::get_if<client_action::Failed>(&action)) {
    out = failed_outcome(connection.host(), connection.endpoint_text(), tx,
                         std::move(failed->failure));
  } else {
    // Closed (or Ready again) without a transaction: the session ended under us.
    connection.close();
    out = failed_outcome(
        connection.host(), connection.endpoint_text(), tx,
        ConnectionFailure{Stage::greeting,
                          core::SmtpReply::make(451, "4.4.2",
                                                "Upstream " + connection.host() +
                                                    " ended the session before the transaction"),
                          false});
  }
  out.tls = connection.tls();
  if (out.tls) out.tls_version = connection.tls_version();
  if (!reused) {
    if (auto session = tls_session_of(connection, out.failure)) out.tls_sessions.push_back(std::move(*session));
  }
  out.reused = reused;
  out.held = held;
  out.committed = committed;
  if (began) out.transmission = std::chrono::steady_clock::now() - *began;
  co_return out;
}

asio::awaitable<void> quit(SmtpConnection& connection) {
  if (!connection.protocol().usable()) {
    connection.close();
    co_return;
  }
  connection.protocol().quit();
  co_await connection.run();  // ends with Closed, which closes the stream
}

void quit_later(std::unique_ptr<SmtpConnection> connection) {
  if (!connection) return;
  auto executor = connection->executor();
  asio::co_spawn(executor, quit_owned(std::move(connection)), log_failure("relay QUIT"));
}

namespace {

// After a delivery: back to the pool when it may serve another transaction, else QUIT.
void release(std::unique_ptr<SmtpConnection> connection, const ConnectionOutcome& out,
             ConnectionPool* pool) {
  if (!connection || !connection->usable()) return;  // closed already
  if (pool && !out.failure && connection->transactions() < pool->limits().max_transactions) {
    for (auto& evicted : pool->put(std::move(connection))) quit_later(std::move(evicted));
    return;
  }
  quit_later(std::move(connection));
}

std::string attempt_line(const ConnectionOutcome& out) {
  return out.endpoint + ": " + (out.failure ? out.failure->reply.summary() : "delivered");
}

}  // namespace

asio::awaitable<ConnectionOutcome> deliver_to_host(asio::any_io_executor executor, std::string host,
                                                   std::vector<ip::tcp::endpoint> endpoints,
                                                   OutboundTransaction tx,
                                                   const ClientOptions& options,
                                                   ConnectionPool* pool) {
  std::vector<std::string> attempts;
  // A connection kept from an earlier transaction to this host: RSET tells whether it lives.
  if (pool) {
    while (auto conn = pool->take(host, options.tls)) {
      ConnectionOutcome out = co_await deliver_over(*conn, tx);
      if (out.failure && !out.held) {
        // Usually RSET failed: the server closed the idle connection. No transaction took
        // place, so another pooled connection or a fresh one gets it.
        spdlog::debug("relay: pooled connection to {} {} is dead: {}", host, out.endpoint,
                      out.failure->reply.summary());
        continue;
      }
      release(std::move(conn), out, pool);
      co_return out;
    }
  }

  std::optional<ConnectionOutcome> last;
  std::vector<TlsSessionRecord> sessions;  // of the attempts before the one returned
  for (const auto& endpoint : endpoints) {
    ClientOptions attempt_options = options;
    for (int round = 0; round < 2; ++round) {
      auto connected = co_await connect_to(executor, host, endpoint, attempt_options);
      if (!connected.connection) {
        last = failed_outcome(host, endpoint_string(endpoint), tx, *connected.failure);
        break;
      }
      ConnectionOutcome out = co_await deliver_over(*connected.connection, tx);
      if (out.failure && !out.held && out.failure->stage == Stage::tls_handshake && round == 0 &&
          attempt_options.plaintext_retry_allowed()) {
        // Opportunistic TLS (RFC 7435 §3): a failed handshake is retried once in the clear,
        // on the same address (Postfix does the same at smtp_tls_security_level = may).
        attempts.push_back(attempt_line(out));
        sessions.insert(sessions.end(), out.tls_sessions.begin(), out.tls_sessions.end());
        attempt_options.tls = TlsRequirement{};
        attempt_options.tls.level = TlsLevel::none;
        continue;
      }
      if (out.failure && out.failure->temporary() && !out.held) {
        sessions.insert(sessions.end(), out.tls_sessions.begin(), out.tls_sessions.end());
        out.tls_sessions.clear();
        last = std::move(out);
        break;  // RFC 5321 §5.1: try the next address
      }
      release(std::move(connected.connection), out, pool);
      out.attempts = std::move(attempts);
      sessions.insert(sessions.end(), out.tls_sessions.begin(), out.tls_sessions.end());
      out.tls_sessions = std::move(sessions);
      co_return out;
    }
    attempts.push_back(attempt_line(*last));
  }
  if (!last) {
    last = failed_outcome(
        host, "", tx,
        ConnectionFailure{
            Stage::connect,
            core::SmtpReply::make(451, "4.4.4", "Upstream " + host + " has no usable address"),
            false});
  }
  if (!attempts.empty()) attempts.pop_back();  // the last one is the outcome itself
  last->attempts = std::move(attempts);
  last->tls_sessions = std::move(sessions);
  co_return std::move(*last);
}

}  // namespace hikyaku::relay
