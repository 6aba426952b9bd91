// ClientStream: plain TCP, then TLS after STARTTLS (RFC 3207 §4), each operation under a
// deadline (RFC 5321 §4.5.3.2) through beast::tcp_stream::expires_after.
#include "relay/client_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "smtpd/tls_context.hpp"

namespace hikyaku::relay {

using boost::system::error_code;
namespace ssl = asio::ssl;

std::shared_ptr<ClientTlsContext> make_client_tls(bool verify) {
  auto ctx = std::make_shared<ClientTlsContext>(ssl::context::tls_client);
  error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::no_compression,
                   ec);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
  if (verify) {
    ctx->set_default_verify_paths(ec);
    ctx->set_verify_mode(ssl::verify_peer, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
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
                                              bool verify, std::chrono::milliseconds timeout,
                                              error_code& ec) {
  tls_.emplace(std::move(plain_), ctx);
  const bool literal = host.empty() || host.front() == '[';
  // RFC 6066 §3: SNI carries a DNS name, never an address literal.
  if (!literal && SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str()) != 1) {
    ERR_clear_error();
  }
  if (verify) {
    tls_->set_verify_mode(ssl::verify_peer, ec);
    if (!ec) tls_->set_verify_callback(ssl::host_name_verification(host), ec);
    if (ec) co_return;
  }
  lowest().expires_after(timeout);
  co_await tls_->async_handshake(ssl::stream_base::client,
                                 asio::redirect_error(asio::use_awaitable, ec));
  lowest().expires_never();
}

std::string ClientStream::tls_version() { return tls_ ? smtpd::tls_version_of(tls_->native_handle()) : ""; }

std::string ClientStream::tls_cipher() { return tls_ ? smtpd::tls_cipher_of(tls_->native_handle()) : ""; }

void ClientStream::close() {
  error_code ec;
  lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  lowest().close();
}

}  // namespace hikyaku::relay
