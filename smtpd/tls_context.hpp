// The server-side TLS context for STARTTLS (RFC 3207) on OpenSSL 3 via asio::ssl.
// TLS 1.2 and 1.3 only; the certificate chain and key come from [server.tls].
#pragma once
#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>

#include "config/config.hpp"
#include "core/expected.hpp"

namespace hikyaku::smtpd {

using TlsContext = boost::asio::ssl::context;

// The negotiated protocol ("TLSv1.3") and cipher of a connection, for logs and Received:;
// empty for a null handle. Shared by the server session and the relay client (inline: relay/
// does not link the server library).
inline std::string tls_version_of(const SSL* ssl) {
  const char* v = ssl ? SSL_get_version(ssl) : nullptr;
  return v ? v : "";
}
inline std::string tls_cipher_of(const SSL* ssl) {
  const char* c = ssl ? SSL_get_cipher_name(ssl) : nullptr;
  return c ? c : "";
}

// Builds a context from PEM files; the error text names the file and OpenSSL's reason.
core::Expected<std::shared_ptr<TlsContext>, std::string> make_server_tls(const config::TlsConfig& tls);

}  // namespace hikyaku::smtpd
