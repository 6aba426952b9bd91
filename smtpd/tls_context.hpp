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

// Builds a context from PEM files; the error text names the file and OpenSSL's reason.
core::Expected<std::shared_ptr<TlsContext>, std::string> make_server_tls(const config::TlsConfig& tls);

}  // namespace hikyaku::smtpd
