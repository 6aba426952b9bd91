// Helpers for the client socket tests against FakeSmtpServer on loopback: client options with
// every deadline shrunk to a few hundred milliseconds, and running coroutines on an io_context
// until they finish (bounded, so a hang fails the test instead of stalling it).
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <vector>

#include "relay/smtp_client.hpp"

namespace hikyaku::relay::testing {

inline ClientOptions fast_options() {
  using namespace std::chrono_literals;
  ClientOptions o;
  o.helo_name = "out.example.net";
  o.connect_timeout = 400ms;
  auto& t = o.timeouts;
  t.greeting = t.ehlo = t.starttls = t.mail = t.rcpt = t.data = t.data_block = t.final_reply =
      t.rset = t.quit = 400ms;
  o.tls_context = make_client_tls();
  return o;
}

// Runs every task on `io` concurrently until all complete (or 10 s pass, which fails the
// test); the results in the tasks' order.
template <class T>
std::vector<T> complete_all(asio::io_context& io, std::vector<asio::awaitable<T>> tasks) {
  using namespace std::chrono_literals;
  std::vector<std::optional<T>> out(tasks.size());
  std::exception_ptr error;
  size_t left = tasks.size();
  io.restart();  // an earlier run may have stopped it by running out of work
  for (size_t i = 0; i < tasks.size(); ++i) {
    asio::co_spawn(io, std::move(tasks[i]), [&, i](std::exception_ptr e, T value) {
      if (e && !error) error = e;
      if (!e) out[i] = std::move(value);
      --left;
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (left > 0 && std::chrono::steady_clock::now() < deadline) io.run_one_for(50ms);
  if (error) std::rethrow_exception(error);
  if (left > 0) ADD_FAILURE() << left << " coroutine(s) did not finish";
  io.run_for(30ms);  // let background QUITs run
  std::vector<T> results;
  for (auto& o : out) results.push_back(o ? std::move(*o) : T{});
  return results;
}

// Runs `task` on `io` until it completes (or 10 s pass, which fails the test).
template <class T>
T complete(asio::io_context& io, asio::awaitable<T> task) {
  std::vector<asio::awaitable<T>> tasks;
  tasks.push_back(std::move(task));
  return std::move(complete_all(io, std::move(tasks)).front());
}

}  // namespace hikyaku::relay::testing
