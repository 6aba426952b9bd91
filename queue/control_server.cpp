// ControlServer: accept, read one line (at most kMaxRequestLine octets, within 5 s), answer,
// close.
#include "queue/control_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace hikyaku::queue {

ControlResponse handle_request(QueueRunner& runner, const ControlRequest& request) {
  ControlResponse r;
  switch (request.verb) {
    case ControlVerb::list:
      r.entries = runner.list();
      r.count = r.entries.size();
      for (const auto& c : runner.corrupt()) r.corrupt.push_back({c.name, c.reason});
      break;
    case ControlVerb::flush:
      r.count = runner.flush();
      break;
    case ControlVerb::drain:
      // Due now, then what is left: an entry delivered by this flush leaves a later round's list.
      runner.flush();
      r.entries = runner.list();
      r.count = r.entries.size();
      break;
    case ControlVerb::remove:
      if (runner.remove(request.queue_id)) {
        r.count = 1;
      } else {
        r.ok = false;
        r.error = "no such queue id: " + request.queue_id;
      }
      break;
    case ControlVerb::reports:  // answered by ControlServer::serve (asynchronous)
      r.ok = false;
      r.error = "reports are not enabled ([reports])";
      break;
  }
  return r;
}

std::string ControlServer::listen(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  boost::system::error_code ec;
  const asio::local::stream_protocol::endpoint endpoint(path);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(16, ec);
  if (ec) {
    acceptor_.close();
    return "control socket " + path + ": " + ec.message();
  }
  ::chmod(path.c_str(), 0600);
  path_ = path;
  asio::co_spawn(executor_, accept_loop(), log_failure("control socket"));
  spdlog::info("queue: control socket {}", path);
  return "";
}

void ControlServer::stop() {
  if (!acceptor_.is_open()) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  if (!path_.empty()) ::unlink(path_.c_str());
}

asio::awaitable<void> ControlServer::accept_loop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      continue;
    }
    asio::co_spawn(executor_, serve(std::move(socket)), log_failure("control connection"));
  }
}

asio::awaitable<void> ControlServer::serve(asio::local::stream_protocol::socket socket) {
  auto deadline = std::make_shared<asio::steady_timer>(executor_, std::chrono::seconds(5));
  auto* raw = &socket;
  auto read_done = std::make_shared<bool>(false);
  deadline->async_wait([raw, read_done](boost::system::error_code ec) {
    if (!ec && !*read_done) {
      boost::system::error_code ignored;
      raw->close(ignored);
    }
  });
  std::string buffer;
  boost::system::error_code ec;
  auto dynamic = asio::dynamic_buffer(buffer, kMaxRequestLine + 1);
  const std::size_t n =
      co_await asio::async_read_until(socket, dynamic, '\n', asio::redirect_error(asio::use_awaitable, ec));
  *read_done = true;
  deadline->cancel();
  ControlResponse response;
  if (ec) {
    response.ok = false;
    response.error = "no request line within limits";
  } else {
    auto request = parse_request(std::string_view(buffer).substr(0, n - 1));
    if (request && request->verb == ControlVerb::reports && send_reports_) {
      auto send = send_reports_;
      response.count = co_await send();
    } else if (request) {
      response = handle_request(runner_, *request);
    } else {
      response.ok = false;
      response.error = request.error();
    }
  }
  if (!socket.is_open()) co_return;
  const std::string out = render_response(response);
  co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
  socket.close(ec);
}

}  // namespace hikyaku::queue
