// The upstream connection's byte stream, plain TCP before STARTTLS and TLS after it, with a
// deadline on every operation. RFC 3207 §4-4.2 (the upgrade; SNI, RFC 6066 §3),
// RFC 5321 §4.5.3.2 (timeouts). OpenSSL 3 through asio::ssl and Beast's ssl_stream.
#pragma once
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/asio.hpp"
#include "relay/tls_verification.hpp"

namespace hikyaku::relay {

namespace beast = boost::beast;
using ClientTlsContext = asio::ssl::context;

// The one client context for STARTTLS at every level (relay/tls_verification.hpp): TLS 1.2 and
// later, DANE enabled, the system's trust store plus `ca_file` when given. Each connection sets
// its own checks. Throws std::runtime_error when the CA file cannot be loaded (a start-up error;
// `hikyaku check` reports it first).
std::shared_ptr<ClientTlsContext> make_client_tls(const std::string& ca_file = "");

class ClientStream {
 public:
  explicit ClientStream(beast::tcp_stream stream) : plain_(std::move(stream)) {}

  beast::tcp_stream& lowest() { return tls_ ? tls_->next_layer() : plain_; }
  bool tls() const { return tls_.has_value(); }
  bool is_open() { return lowest().socket().is_open(); }

  // Reads what is available within `timeout` (ec = beast::error::timeout when it passes).
  asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, std::chrono::milliseconds timeout,
                                    boost::system::error_code& ec);
  // Writes all of `bytes` within `timeout`.
  asio::awaitable<void> write(std::string_view bytes, std::chrono::milliseconds timeout,
                              boost::system::error_code& ec);
  // The client side of the handshake on this connection, checked as `requirement` says
  // (relay/tls_verification.hpp). `setup_error` is set when the checks could not be set up
  // (nothing was sent then).
  asio::awaitable<void> start_tls(ClientTlsContext& ctx, const std::string& host,
                                  const TlsRequirement& requirement, std::chrono::milliseconds timeout,
                                  boost::system::error_code& ec, std::string& setup_error);
  // The certificate check of the handshake done (or failed) under `requirement`.
  TlsCheck tls_check(const TlsRequirement& requirement);
  std::string tls_version();
  std::string tls_cipher();
  void close();

 private:
  beast::tcp_stream plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
};

}  // namespace hikyaku::relay
