// A connection's byte stream before and after STARTTLS, with a deadline on every operation.
// A deadline cancels the operation but leaves the socket open, so the session can still say
// "421 4.4.2" (RFC 5321 §4.5.3.2, §3.8). RFC 3207 §4 (the upgrade on the same connection).
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ssl.hpp>

#include "core/asio.hpp"
#include "smtpd/tls_context.hpp"

namespace hikyaku::smtpd {

class SessionStream {
 public:
  explicit SessionStream(asio::ip::tcp::socket socket)
      : plain_(std::move(socket)), timer_(plain_.get_executor()) {}

  bool tls() const { return tls_.has_value(); }

  // Reads what is available within `timeout`. ec is asio::error::timed_out when the deadline
  // passed, operation_aborted when cancel() interrupted it, eof, or another network error.
  asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, std::chrono::milliseconds timeout,
                                    boost::system::error_code& ec);
  asio::awaitable<void> write(std::string_view bytes, std::chrono::milliseconds timeout,
                              boost::system::error_code& ec);
  // The server side of the TLS handshake on the same connection.
  asio::awaitable<void> start_tls(TlsContext& ctx, std::chrono::milliseconds timeout,
                                  boost::system::error_code& ec);
  // Interrupts the pending operation (operation_aborted); the connection stays usable.
  void cancel();
  std::string tls_version();
  std::string tls_cipher();
  void close();

 private:
  asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }
  void arm(std::chrono::milliseconds timeout);
  void disarm(boost::system::error_code& ec);

  asio::ip::tcp::socket plain_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
  asio::steady_timer timer_;
  uint64_t generation_ = 0;
  bool timed_out_ = false;
};

}  // namespace hikyaku::smtpd
