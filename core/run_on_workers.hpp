// Runs CPU-heavy or blocking library work (DKIM signing now; SPF and DKIM verification later)
// on a worker pool, never on the event-loop thread (DESIGN §3), and resumes the calling
// coroutine on its own executor with the result.
#pragma once
#include <chrono>
#include <memory>
#include <optional>

#include "core/asio.hpp"

namespace hikyaku {

// `fn` runs on `workers`; its result comes back through a post to the caller's executor. Written
// without a custom async_initiate: with g++ 12 and Boost 1.74 an initiation object that owns
// state is destroyed once too often (found with ASan while building dns/).
template <class R, class F>
asio::awaitable<R> run_on_workers(asio::thread_pool& workers, F fn) {
  auto executor = co_await asio::this_coro::executor;
  auto result = std::make_shared<std::optional<R>>();
  auto done = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  asio::post(workers, [fn = std::move(fn), result, done, executor]() mutable {
    R value = fn();
    asio::post(executor, [result, done, value = std::move(value)]() mutable {
      *result = std::move(value);
      done->cancel();
    });
  });
  if (!*result) {
    boost::system::error_code ec;
    co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return std::move(**result);
}

}  // namespace hikyaku
