// Server TLS context for STARTTLS (RFC 3207): TLS >= 1.2, no compression, no renegotiation.
#include "smtpd/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace hikyaku::smtpd {

namespace ssl = boost::asio::ssl;

core::Expected<std::shared_ptr<TlsContext>, std::string> make_server_tls(const config::TlsConfig& tls) {
  auto ctx = std::make_shared<TlsContext>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::no_compression | ssl::context::single_dh_use,
                   ec);
  if (ec) return core::unexpected("TLS options: " + ec.message());
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
  ctx->use_certificate_chain_file(tls.certificate, ec);
  if (ec) return core::unexpected(tls.certificate + ": cannot load certificate: " + ec.message());
  ctx->use_private_key_file(tls.private_key, ssl::context::pem, ec);
  if (ec) return core::unexpected(tls.private_key + ": cannot load private key: " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return core::unexpected(tls.private_key + ": private key does not match " + tls.certificate);
  }
  return ctx;
}

}  // namespace hikyaku::smtpd
