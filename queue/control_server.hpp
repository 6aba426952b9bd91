// The running server's control socket (DESIGN §4 `queue list|flush|delete|drain`): a unix stream
// socket, mode 0600, one request line per connection (queue/control_protocol), answered from
// the QueueRunner on the event-loop thread. Every read is bounded in size and time.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "queue/control_protocol.hpp"
#include "queue/queue_runner.hpp"
#include "core/asio.hpp"

namespace hikyaku::queue {

// What a request does to the runner.
ControlResponse handle_request(QueueRunner& runner, const ControlRequest& request);

class ControlServer {
 public:
  ControlServer(asio::any_io_executor executor, QueueRunner& runner)
      : executor_(std::move(executor)), runner_(runner), acceptor_(executor_) {}
  // Binds `path` (a stale socket left by a killed server is replaced) and starts accepting.
  // Returns "" or why it could not.
  std::string listen(const std::string& path);
  // Stops accepting and removes the socket file.
  void stop();
  // What REPORTS runs (the daily reports sent now); without it REPORTS is an error reply.
  void on_send_reports(std::function<asio::awaitable<std::uint64_t>()> send) { send_reports_ = std::move(send); }

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::local::stream_protocol::socket socket);

  asio::any_io_executor executor_;
  QueueRunner& runner_;
  asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  std::function<asio::awaitable<std::uint64_t>()> send_reports_;
};

}  // namespace hikyaku::queue
