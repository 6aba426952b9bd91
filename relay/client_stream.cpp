// ClientStream: plain TCP, then TLS after STARTTLS (RFC 3207 §4), each operation under a
// deadline (RFC 5321 §4.5.3.2) through beast::tcp_stream::expires_after.
#include "relay/client_stream.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

#include "smtpd/tls_context.hpp"

namespace hikyaku::relay {

using boost::system::error_code;
namespace ssl = asio::ssl;

std::shared_ptr<ClientTlsContext> make_client_tls(const std::string& ca_file) {
  auto ctx = std::make_shared<ClientTlsContext>(ssl::context::tls_client);
  std::string error;
  if (configure_client_context(ctx->native_handle(), ca_file, error) == nullptr) {
    throw std::runtime_error("[relay] " + error);
  }
  return ctx;
}

asio::awaitable<size_t> ClientStream::read_some(asio::mutable_buffer buffer,
                                                std::chrono::milliseconds timeout, error_code& ec) {
  lowest().expires_after(timeout);
  size_t n = 0;
  if (tls_) {
    n = co_await tls_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    n = co_await plain_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
  lowest().expires_never();
  co_return n;
}

asio::awaitable<void> ClientStream::write(std::string_view bytes, std::chrono::milliseconds timeout,
                                          error_code& ec) {
  lowest().expires_after(timeout);
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(plain_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  lowest().expires_never();
}

asio::awaitable<void> ClientStream::start_tls(ClientTlsContext& ctx, const std::string& host,
                                              const TlsRequirement& requirement,
                                              std::chrono::milliseconds timeout, error_code& ec,
                                              std::string& setup_error) {
  tls_.emplace(std::move(plain_), ctx);
  if (!prepare_handshake(tls_->native_handle(), host, requirement, setup_error)) co_return;
  lowest().expires_after(timeout);
  co_await tls_->async_handshake(ssl::stream_base::client,
                                 asio::redirect_error(asio::use_awaitable, ec));
  lowest().expires_never();
}

TlsCheck ClientStream::tls_check(const TlsRequirement& requirement) {
  if (!tls_) return {};
  return check_handshake(tls_->native_handle(), requirement);
}

std::string ClientStream::tls_version() { return tls_ ? smtpd::tls_version_of(tls_->native_handle()) : ""; }

std::string ClientStream::tls_cipher() { return tls_ ? smtpd::tls_cipher_of(tls_->native_handle()) : ""; }

void ClientStream::close() {
  error_code ec;
  lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  lowest().close();
}

}  // namespace hikyaku::relay
