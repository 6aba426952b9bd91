// Delivering a report to an "https:" rua (RFC 8460 §5.2 / §3): an HTTP POST of the gzip report
// with Content-Type application/tlsrpt+gzip, over TLS with a certificate valid for the URI's host
// from a trusted CA (the relay's client context: system store and [relay] tls_ca_file); any 2xx
// is success. Boost.Beast, the host's addresses through our resolver, one deadline.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

#include "core/asio.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::app {

struct HttpsUri {
  std::string host;      // lowercase, no brackets
  std::uint16_t port = 443;
  std::string target;    // path and query, "/" when none
};
// "https://host[:port][/path]" (RFC 3986 authority without userinfo); nullopt otherwise.
std::optional<HttpsUri> parse_https_uri(std::string_view uri);

// "" when the endpoint answered 2xx, else why not (for the log; the day is kept and retried).
asio::awaitable<std::string> post_report(dns::Resolver& resolver, std::string uri, std::string body,
                                         std::string content_type,
                                         std::shared_ptr<asio::ssl::context> tls,
                                         std::chrono::milliseconds timeout);

}  // namespace hikyaku::app
