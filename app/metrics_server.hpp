// The HTTP/1.1 endpoint of [metrics] listen (RFC 9112), on the event loop with Boost.Beast:
// one request per connection (read within a deadline, header bounded), the answer from
// app/health, then the connection is closed.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "app/health.hpp"
#include "core/asio.hpp"

namespace hikyaku::app {

struct MetricsServerLimits {
  std::chrono::milliseconds read_timeout{5000};  // a client that sends nothing is dropped
  std::size_t max_header = 8192;                 // bytes of request line and header fields
};

class MetricsServer {
 public:
  MetricsServer(asio::io_context& io, HealthEndpoints endpoints, MetricsServerLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds "HOST:PORT" / "[V6]:PORT" and starts accepting; throws std::system_error.
  void listen(const std::string& address);
  // Closes the listener (connections under way finish).
  void stop();
  asio::ip::tcp::endpoint local_endpoint() const;

  struct State;  // shared with the coroutines of the accept loop and of each request

 private:
  std::shared_ptr<State> state_;
};

}  // namespace hikyaku::app
