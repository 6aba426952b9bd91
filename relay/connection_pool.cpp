// ConnectionPool's sweeper: idle connections past their timeout are closed with QUIT even when
// no delivery comes by to notice them (RFC 5321 §4.1.1.10).
#include "relay/connection_pool.hpp"

namespace hikyaku::relay {

asio::awaitable<void> ConnectionPool::run_sweeper(std::chrono::milliseconds interval) {
  auto executor = co_await asio::this_coro::executor;
  // The coroutine keeps its own references, so after stop() it touches nothing of the pool.
  const auto timer = std::make_shared<asio::steady_timer>(executor);
  const auto stopped = stopped_;
  sweeper_ = timer;
  while (!*stopped) {
    timer->expires_after(interval);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (*stopped) break;
    for (auto& conn : expire(Clock::now())) quit_later(std::move(conn));
  }
}

void ConnectionPool::stop() {
  *stopped_ = true;
  if (sweeper_) sweeper_->cancel();
  for (auto& conn : clear()) quit_later(std::move(conn));
}

}  // namespace hikyaku::relay
