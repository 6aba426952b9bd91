// The scripted loopback SMTP server behind the relay client socket tests (see the header).
#include "fake_smtp_server.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <list>

namespace hikyaku::relay::testing {

using boost::system::error_code;
namespace ip = asio::ip;
namespace ssl = asio::ssl;

namespace {

// A throwaway P-256 key and self-signed certificate for "sink.test"; returns the SHA-256 of
// its SubjectPublicKeyInfo (what a "3 1 1" TLSA record holds).
std::string use_self_signed(ssl::context& ctx) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sink.test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(ctx.native_handle(), cert);
  SSL_CTX_use_PrivateKey(ctx.native_handle(), key);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  std::string digest(32, '\0');
  SHA256(der, static_cast<size_t>(len), reinterpret_cast<unsigned char*>(digest.data()));
  OPENSSL_free(der);
  X509_free(cert);
  EVP_PKEY_free(key);
  return digest;
}

std::string upper_verb(const std::string& line) {
  std::string v = line.substr(0, line.find_first_of(" :"));
  for (auto& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v;
}

struct Session {
  std::shared_ptr<ip::tcp::socket> socket;
  std::optional<ssl::stream<ip::tcp::socket&>> tls;
  std::string buf;

  asio::awaitable<bool> write(std::string bytes) {
    error_code ec;
    if (tls) {
      co_await asio::async_write(*tls, asio::buffer(bytes),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(*socket, asio::buffer(bytes),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !ec;
  }
  asio::awaitable<std::optional<std::string>> line() {
    error_code ec;
    size_t n = 0;
    if (tls) {
      n = co_await asio::async_read_until(*tls, asio::dynamic_buffer(buf), "\r\n",
                                          asio::redirect_error(asio::use_awaitable, ec));
    } else {
      n = co_await asio::async_read_until(*socket, asio::dynamic_buffer(buf), "\r\n",
                                          asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) co_return std::nullopt;
    std::string l = buf.substr(0, n - 2);
    buf.erase(0, n);
    co_return l;
  }
};

}  // namespace

struct FakeSmtpServer::Shared {
  explicit Shared(asio::io_context& io) : acceptor(io), tls(ssl::context::tls_server) {}
  ip::tcp::acceptor acceptor;
  ssl::context tls;
  std::list<std::weak_ptr<ip::tcp::socket>> sessions;
  int queue_ids = 0;
};

namespace {

asio::awaitable<void> serve(std::shared_ptr<ip::tcp::socket> socket,
                            std::shared_ptr<FakeSmtpServer::Shared> shared,
                            std::shared_ptr<ServerLog> log, std::shared_ptr<ServerBehavior> b);

asio::awaitable<void> accept_loop(std::shared_ptr<FakeSmtpServer::Shared> shared,
                                  std::shared_ptr<ServerLog> log,
                                  std::shared_ptr<ServerBehavior> behavior) {
  while (true) {
    auto socket = std::make_shared<ip::tcp::socket>(shared->acceptor.get_executor());
    error_code ec;
    co_await shared->acceptor.async_accept(*socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ++log->connections;
    log->peers.push_back(socket->remote_endpoint(ec).address().to_string());
    shared->sessions.push_back(socket);
    asio::co_spawn(shared->acceptor.get_executor(), serve(socket, shared, log, behavior),
                   asio::detached);
  }
}

asio::awaitable<void> serve(std::shared_ptr<ip::tcp::socket> socket,
                            std::shared_ptr<FakeSmtpServer::Shared> shared,
                            std::shared_ptr<ServerLog> log, std::shared_ptr<ServerBehavior> b) {
  Session s{socket, std::nullopt, {}};
  if (!b->greet) {
    // Hold the connection open, silent, until the client gives up.
    while (co_await s.line()) {
    }
    co_return;
  }
  if (b->trickle) {
    asio::steady_timer timer(socket->get_executor());
    while (co_await s.write("220-still greeting\r\n")) {
      timer.expires_after(std::chrono::milliseconds(100));
      error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!socket->is_open()) co_return;
    }
    co_return;
  }
  if (!co_await s.write(b->greeting + "\r\n")) co_return;
  while (auto line = co_await s.line()) {
    log->commands.push_back(*line);
    const std::string verb = upper_verb(*line);
    std::string reply = "250 2.0.0 ok\r\n";
    if (verb == "EHLO") {
      std::vector<std::string> kw = b->keywords;
      if ((b->starttls || b->broken_tls) && !s.tls) kw.push_back("STARTTLS");
      reply = "250" + std::string(kw.empty() ? " " : "-") + "sink.test\r\n";
      for (size_t i = 0; i < kw.size(); ++i) {
        reply += (i + 1 == kw.size() ? "250 " : "250-") + kw[i] + "\r\n";
      }
    } else if (verb == "STARTTLS") {
      if (!co_await s.write("220 2.0.0 ready\r\n")) co_return;
      if (b->broken_tls) {
        co_await s.write("this is not TLS\r\n");
        error_code ec;
        socket->close(ec);
        co_return;
      }
      s.buf.clear();
      s.tls.emplace(*socket, shared->tls);
      error_code ec;
      co_await s.tls->async_handshake(ssl::stream_base::server,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++log->tls_sessions;
      continue;
    } else if (verb == "RCPT") {
      const auto lt = line->find('<');
      const auto gt = line->find('>');
      const std::string rcpt = lt != std::string::npos && gt != std::string::npos
                                   ? line->substr(lt + 1, gt - lt - 1)
                                   : "";
      if (b->refuse.count(rcpt)) reply = "550 5.1.1 <" + rcpt + ">: no such user\r\n";
      if (b->rcpt_delay.count() > 0) {
        asio::steady_timer timer(socket->get_executor(), b->rcpt_delay);
        error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
    } else if (verb == "DATA") {
      if (!co_await s.write("354 End data with <CR><LF>.<CR><LF>\r\n")) co_return;
      std::string message;
      bool ended = false;
      while (auto data = co_await s.line()) {
        if (b->close_mid_data) {
          error_code ec;
          socket->close(ec);
          co_return;
        }
        if (*data == ".") {
          ended = true;
          break;
        }
        message += (data->starts_with(".") ? data->substr(1) : *data) + "\r\n";
      }
      if (!ended) {
        // The client went away before the end of data: no message (RFC 5321 §3.3).
        log->unfinished.push_back(message);
        co_return;
      }
      log->messages.push_back(message);
      reply = "250 2.0.0 Ok: queued as Q" + std::to_string(++shared->queue_ids) + "\r\n";
    } else if (verb == "QUIT") {
      co_await s.write("221 2.0.0 bye\r\n");
      co_return;
    }
    if (!co_await s.write(reply)) co_return;
  }
}

}  // namespace

FakeSmtpServer::FakeSmtpServer(asio::io_context& io, const std::string& bind_address,
                               ServerBehavior behavior)
    : shared_(std::make_shared<Shared>(io)),
      log_(std::make_shared<ServerLog>()),
      behavior_(std::make_shared<ServerBehavior>(std::move(behavior))) {
  spki_sha256_ = use_self_signed(shared_->tls);
  const ip::tcp::endpoint ep(ip::make_address(bind_address), 0);
  shared_->acceptor.open(ep.protocol());
  shared_->acceptor.set_option(ip::tcp::acceptor::reuse_address(true));
  shared_->acceptor.bind(ep);
  shared_->acceptor.listen();
  endpoint_ = shared_->acceptor.local_endpoint();
  asio::co_spawn(io, accept_loop(shared_, log_, behavior_), asio::detached);
}

FakeSmtpServer::~FakeSmtpServer() {
  stop();
}

void FakeSmtpServer::kick() {
  for (auto& weak : shared_->sessions) {
    if (auto s = weak.lock()) {
      error_code ec;
      s->shutdown(ip::tcp::socket::shutdown_both, ec);
      s->close(ec);
    }
  }
  shared_->sessions.clear();
}

void FakeSmtpServer::stop() {
  error_code ec;
  shared_->acceptor.close(ec);
  kick();
}

ip::tcp::endpoint closed_port(const std::string& address) {
  asio::io_context io;
  ip::tcp::acceptor a(io, ip::tcp::endpoint(ip::make_address(address), 0));
  const auto ep = a.local_endpoint();
  a.close();
  return ep;
}

bool can_bind(const std::string& address) {
  asio::io_context io;
  ip::tcp::acceptor a(io);
  error_code ec;
  const ip::tcp::endpoint ep(ip::make_address(address, ec), 0);
  if (ec) return false;
  a.open(ep.protocol(), ec);
  if (!ec) a.bind(ep, ec);
  return !ec;
}

}  // namespace hikyaku::relay::testing
