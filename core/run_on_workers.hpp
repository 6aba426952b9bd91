// Runs CPU-heavy or blocking library work (DKIM signing and verification, ARC, spool writes)
// on a worker pool, never on the event-loop thread (DESIGN §3), and resumes the calling
// coroutine on its own executor with the result.
#pragma once
#include <chrono>
#include <exception>
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
  auto failure = std::make_shared<std::exception_ptr>();
  auto done = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  asio::post(workers, [fn = std::move(fn), result, failure, done, executor]() mutable {
    // An exception must not escape on a pool thread (Asio would terminate the process): it is
    // carried back and rethrown in the coroutine, as a failure of this one message.
    std::optional<R> value;
    std::exception_ptr error;
    try {
      value.emplace(fn());
    } catch (...) {
      error = std::current_exception();
    }
    asio::post(executor, [result, failure, done, value = std::move(value), error]() mutable {
      *result = std::move(value);
      *failure = error;
      done->cancel();
    });
  });
  if (!*result && !*failure) {
    boost::system::error_code ec;
    co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (*failure) std::rethrow_exception(*failure);
  co_return std::move(**result);
}

}  // namespace hikyaku
