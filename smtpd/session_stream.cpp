// SessionStream: plain TCP or TLS after STARTTLS (RFC 3207), each operation under a deadline
// that cancels the operation without closing the socket.
#include "smtpd/session_stream.hpp"

namespace hikyaku::smtpd {

using boost::system::error_code;

void SessionStream::arm(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  timer_.expires_after(timeout);
  // A stale expiry (one that raced with the operation's completion) carries an old generation.
  timer_.async_wait([this, generation = ++generation_](error_code ec) {
    if (ec || generation != generation_) return;
    timed_out_ = true;
    error_code ignored;
    socket().cancel(ignored);
  });
}

void SessionStream::disarm(error_code& ec) {
  timer_.cancel();
  ++generation_;
  if (timed_out_ && (!ec || ec == asio::error::operation_aborted)) ec = asio::error::timed_out;
}

asio::awaitable<size_t> SessionStream::read_some(asio::mutable_buffer buffer,
                                                 std::chrono::milliseconds timeout, error_code& ec) {
  arm(timeout);
  size_t n = 0;
  if (tls_) {
    n = co_await tls_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    n = co_await plain_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
  disarm(ec);
  co_return n;
}

asio::awaitable<void> SessionStream::write(std::string_view bytes, std::chrono::milliseconds timeout,
                                           error_code& ec) {
  arm(timeout);
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(plain_, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  disarm(ec);
}

asio::awaitable<void> SessionStream::start_tls(TlsContext& ctx, std::chrono::milliseconds timeout,
                                               error_code& ec) {
  tls_.emplace(std::move(plain_), ctx);
  arm(timeout);
  co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                 asio::redirect_error(asio::use_awaitable, ec));
  disarm(ec);
}

void SessionStream::cancel() {
  error_code ignored;
  socket().cancel(ignored);
}

std::string SessionStream::tls_version() { return tls_ ? tls_version_of(tls_->native_handle()) : ""; }

std::string SessionStream::tls_cipher() { return tls_ ? tls_cipher_of(tls_->native_handle()) : ""; }

void SessionStream::close() {
  error_code ec;
  timer_.cancel();
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

}  // namespace hikyaku::smtpd
