// post_report: the URI's host resolved (IPv6 then IPv4, or an address literal), TCP and TLS
// with SNI and a WebPKI check of the host (RFC 6125), one POST, the reply's status read with a
// bounded parser. No redirects are followed.
#include "app/report_https.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/ascii.hpp"

namespace hikyaku::app {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

std::optional<HttpsUri> parse_https_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "https://";
  if (uri.size() < kScheme.size() || !core::ascii_istarts_with(uri, kScheme)) return std::nullopt;
  uri.remove_prefix(kScheme.size());
  const auto slash = uri.find_first_of("/?");
  std::string_view authority = uri.substr(0, slash);
  HttpsUri out;
  out.target = slash == std::string_view::npos ? "/" : std::string(uri.substr(slash));
  if (out.target.front() == '?') out.target = "/" + out.target;
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  for (auto& c : out.host) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':';
    if (!ok) return std::nullopt;
  }
  if (!port.empty() || (authority.back() == ':')) {
    if (port.empty() || port.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (const char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(value);
  }
  for (const char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  return out;
}

asio::awaitable<std::string> post_report(dns::Resolver& resolver, std::string uri, std::string body,
                                         std::string content_type,
                                         std::shared_ptr<asio::ssl::context> tls,
                                         std::chrono::milliseconds timeout) {
  const auto parsed = parse_https_uri(uri);
  if (!parsed) co_return "not an https URI: " + uri;
  if (!tls) co_return std::string("no TLS client context");
  const HttpsUri target = *parsed;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<asio::ip::address> addresses;
  error_code parse_ec;
  const auto literal = asio::ip::make_address(target.host, parse_ec);
  if (!parse_ec) {
    addresses.push_back(literal);
  } else {
    for (const auto type : {dns::RecordType::aaaa, dns::RecordType::a}) {
      const dns::DnsAnswer answer = co_await resolver.query(target.host, type);
      addresses.insert(addresses.end(), answer.addresses.begin(), answer.addresses.end());
    }
  }
  if (addresses.empty()) co_return target.host + " has no address";
  auto executor = co_await asio::this_coro::executor;
  std::string last_error;
  for (const auto& address : addresses) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_error = "no answer within " + std::to_string(timeout.count()) + " ms";
      break;
    }
    beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
    SSL* ssl = stream.native_handle();
    if (parse_ec) SSL_set_tlsext_host_name(ssl, target.host.c_str());  // SNI names, not addresses
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (parse_ec) {
      SSL_set1_host(ssl, target.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target.host.c_str());
    }
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(left);
    error_code ec;
    const asio::ip::tcp::endpoint endpoint(address, target.port);
    co_await tcp.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      last_error = endpoint.address().to_string() + ": " + ec.message();
      continue;
    }
    co_await stream.async_handshake(asio::ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      const long verify = SSL_get_verify_result(ssl);
      last_error = target.host + ": TLS handshake failed: " +
                   (verify != X509_V_OK ? std::string(X509_verify_cert_error_string(verify)) : ec.message());
      continue;
    }
    http::request<http::string_body> request{http::verb::post, target.target, 11};
    request.set(http::field::host, target.port == 443 ? target.host : target.host + ":" + std::to_string(target.port));
    request.set(http::field::user_agent, "hikyaku");
    request.set(http::field::content_type, content_type);
    request.set(http::field::connection, "close");
    request.body() = body;
    request.prepare_payload();
    co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      last_error = target.host + ": " + ec.message();
      continue;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec && ec != http::error::body_limit) {
      last_error = target.host + ": " + (ec == beast::error::timeout ? std::string("timed out") : ec.message());
      continue;
    }
    const unsigned status = parser.get().result_int();
    error_code shutdown_ec;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, shutdown_ec);
    if (status >= 200 && status < 300) co_return std::string();
    co_return target.host + ": HTTP status " + std::to_string(status);
  }
  co_return last_error.empty() ? target.host + ": no address answered" : last_error;
}

}  // namespace hikyaku::app
