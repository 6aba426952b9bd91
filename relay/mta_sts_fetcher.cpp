// The MTA-STS policy fetch (RFC 8461 §3.3): addresses through our resolver, TCP and TLS with SNI
// and a WebPKI check of "mta-sts.<domain>", an HTTP/1.1 GET, the reply read with Beast's parser
// under a body limit; one deadline over the whole fetch.
#include "relay/mta_sts_fetcher.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/ascii.hpp"

namespace hikyaku::relay {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

core::Unexpected<MtaStsFetchError> fetch_error(std::string detail) {
  return core::unexpected(MtaStsFetchError{"sts-policy-fetch-error", std::move(detail)});
}

std::string_view view(beast::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace

MtaStsFetchOptions MtaStsFetchOptions::from(const config::RelayConfig& relay) {
  MtaStsFetchOptions o;
  o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(relay.mta_sts_fetch_timeout);
  o.max_size = relay.mta_sts_max_policy_size;
  o.port = relay.mta_sts_port;
  return o;
}

asio::awaitable<core::Expected<std::string, MtaStsFetchError>> fetch_mta_sts_policy(
    dns::Resolver& resolver, std::string domain, std::shared_ptr<asio::ssl::context> tls,
    MtaStsFetchOptions options) {
  const std::string host = "mta-sts." + domain;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::vector<asio::ip::address> addresses;
  for (const auto type : {dns::RecordType::aaaa, dns::RecordType::a}) {
    const dns::DnsAnswer answer = co_await resolver.query(host, type);
    addresses.insert(addresses.end(), answer.addresses.begin(), answer.addresses.end());
  }
  if (addresses.empty()) co_return fetch_error(host + " has no address");

  auto executor = co_await asio::this_coro::executor;
  std::string last_error;
  for (const auto& address : addresses) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_error = "no answer within " + std::to_string(options.timeout.count()) + " ms";
      break;
    }
    beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
    SSL* ssl = stream.native_handle();
    // RFC 8461 §3.3: the certificate must be valid for mta-sts.<domain> (RFC 6125), from a
    // trusted CA; SNI names it.
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl, host.c_str());
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(left);
    error_code ec;
    const asio::ip::tcp::endpoint endpoint(address, options.port);
    co_await tcp.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      last_error = endpoint.address().to_string() + ": " + ec.message();
      continue;
    }
    co_await stream.async_handshake(asio::ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        co_return core::unexpected(MtaStsFetchError{
            "sts-webpki-invalid", host + ": " + X509_verify_cert_error_string(verify)});
      }
      last_error = host + ": TLS handshake failed: " + ec.message();
      continue;
    }
    http::request<http::empty_body> request{http::verb::get, "/.well-known/mta-sts.txt", 11};
    request.set(http::field::host, host);
    request.set(http::field::user_agent, "hikyaku");
    request.set(http::field::connection, "close");
    co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      last_error = host + ": " + ec.message();
      continue;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(options.max_size);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::body_limit) {
      co_return fetch_error(host + ": policy larger than " + std::to_string(options.max_size) + " octets");
    }
    if (ec) {
      last_error = host + ": " + (ec == beast::error::timeout ? std::string("timed out") : ec.message());
      continue;
    }
    const auto& response = parser.get();
    // RFC 8461 §3.3: redirects are not followed; anything but 200 is no policy.
    if (response.result_int() != 200) {
      co_return fetch_error(host + ": HTTP status " + std::to_string(response.result_int()));
    }
    const std::string_view type = view(response[http::field::content_type]);
    if (!core::ascii_istarts_with(type, "text/plain")) {
      co_return fetch_error(host + ": media type is not text/plain: " + std::string(type));
    }
    error_code shutdown_ec;
    beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, shutdown_ec);
    co_return response.body();
  }
  co_return fetch_error(last_error.empty() ? host + ": no address answered" : last_error);
}

}  // namespace hikyaku::relay
