// Fetching an MTA-STS policy (RFC 8461 §3.3): GET https://mta-sts.<domain>/.well-known/mta-sts.txt
// over HTTPS with a certificate valid for that name (RFC 6125), no redirects followed, only a
// 200 with a text/plain body, bounded in size and time. Boost.Beast over OpenSSL.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/expected.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::relay {

struct MtaStsFetchOptions {
  // RFC 8461 §3.3 suggests a timeout "e.g. 1 minute" and 64 KiB; a forwarding hop waits for
  // the fetch before it can answer its client, so the whole fetch has a shorter deadline.
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  size_t max_size = 64 * 1024;  // body octets
  uint16_t port = 443;          // tests serve their policy on another loopback port

  // [relay] mta_sts_fetch_timeout, mta_sts_max_policy_size, mta_sts_port.
  static MtaStsFetchOptions from(const config::RelayConfig& relay);
};

struct MtaStsFetchError {
  // "sts-policy-fetch-error" (no connection, TLS, HTTP status, timeout) or
  // "sts-webpki-invalid" (the certificate failed), as TLS reports name them (RFC 8460 §4.3.3).
  std::string result_type;
  std::string detail;
};

// The policy body for `domain` (A-labels), or why not. `tls` is a client context with the
// trust store loaded (relay/tls_verification.hpp configure_client_context). Addresses of
// mta-sts.<domain> come from `resolver` (IPv6 first, then IPv4).
asio::awaitable<core::Expected<std::string, MtaStsFetchError>> fetch_mta_sts_policy(
    dns::Resolver& resolver, std::string domain, std::shared_ptr<asio::ssl::context> tls,
    MtaStsFetchOptions options);

}  // namespace hikyaku::relay
