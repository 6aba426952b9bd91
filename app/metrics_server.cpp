// The metrics/health HTTP endpoint: an accept loop and one coroutine per connection that reads
// one request (RFC 9112 §2-3) within [metrics] request_timeout and max_request_header, answers
// it (app/health) and closes the connection (RFC 9112 §9.6 "Connection: close").
#include "app/metrics_server.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <spdlog/spdlog.h>

#include "config/values.hpp"

namespace hikyaku::app {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct MetricsServer::State {
  State(asio::io_context& io, HealthEndpoints e, MetricsServerLimits l)
      : endpoints(std::move(e)), limits(l), acceptor(io) {}
  HealthEndpoints endpoints;
  MetricsServerLimits limits;
  tcp::acceptor acceptor;
};

namespace {

std::string_view view(beast::string_view s) { return std::string_view(s.data(), s.size()); }

asio::awaitable<void> serve_one(std::shared_ptr<MetricsServer::State> state, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  // The request line and header fields up to the empty line that ends them (RFC 9112 §2.1),
  // at most max_header bytes in all, that line included: one more is 431 (RFC 6585 §5).
  std::string header;
  stream.expires_after(state->limits.read_timeout);
  error_code ec;
  auto capped = asio::dynamic_buffer(header, state->limits.max_header);
  const std::string_view end_of_header = "\r\n\r\n";
  const std::size_t length = co_await asio::async_read_until(stream, capped, end_of_header,
                                                             asio::redirect_error(asio::use_awaitable, ec));
  http::request_parser<http::empty_body> parser;
  if (!ec) {
    parser.header_limit(static_cast<std::uint32_t>(state->limits.max_header));
    parser.put(asio::buffer(header.data(), length), ec);
    if (!ec && !parser.is_header_done()) ec = http::error::partial_message;
  }
  HttpAnswer answer;
  unsigned version = 11;
  bool head = false;
  if (ec == asio::error::not_found || ec == http::error::header_limit) {
    answer = HttpAnswer{431, "text/plain; charset=utf-8", "request header too large\n"};
  } else if (ec == beast::error::timeout || ec == asio::error::eof || ec == asio::error::connection_reset) {
    co_return;  // nothing (complete) was asked
  } else if (ec) {
    answer = HttpAnswer{400, "text/plain; charset=utf-8", "bad request\n"};
  } else {
    const auto& request = parser.get();
    version = request.version();
    head = request.method() == http::verb::head;
    answer = answer_request(view(request.method_string()), view(request.target()), state->endpoints);
  }
  http::response<http::string_body> response(static_cast<http::status>(answer.status), version);
  response.set(http::field::content_type, answer.content_type);
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(false);
  response.body() = std::move(answer.body);
  response.prepare_payload();
  if (head) response.body().clear();  // Content-Length stays that of GET (RFC 9110 §9.3.2)
  stream.expires_after(state->limits.read_timeout);
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

asio::awaitable<void> accept_loop(std::shared_ptr<MetricsServer::State> state) {
  while (true) {
    error_code ec;
    tcp::socket socket = co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
    if (ec) {
      spdlog::warn("metrics: accept: {}", ec.message());
      asio::steady_timer pause(state->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto executor = state->acceptor.get_executor();
    asio::co_spawn(executor, serve_one(state, std::move(socket)), log_failure("metrics request"));
  }
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, HealthEndpoints endpoints, MetricsServerLimits limits)
    : state_(std::make_shared<State>(io, std::move(endpoints), limits)) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::listen(const std::string& address) {
  auto parsed = config::detail::parse_host_port(address, true);
  if (!parsed) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "metrics listen " + address + ": " + parsed.error());
  }
  error_code ec;
  const auto ip = asio::ip::make_address(parsed->host, ec);
  if (ec) throw std::system_error(ec, "metrics listen " + address);
  const tcp::endpoint endpoint(ip, parsed->port);
  auto& acc = state_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && ip.is_v6()) acc.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "metrics listen " + address);
  spdlog::info("metrics: listening on {} (/metrics, /livez, /readyz)", address);
  asio::co_spawn(acc.get_executor(), accept_loop(state_), log_failure("metrics accept loop"));
}

void MetricsServer::stop() {
  error_code ec;
  state_->acceptor.close(ec);
}

asio::ip::tcp::endpoint MetricsServer::local_endpoint() const {
  error_code ec;
  return state_->acceptor.local_endpoint(ec);
}

}  // namespace hikyaku::app
