// RFC 8461 §3.2 policy syntax, §4.1 MX matching, §3.3 policy retrieval over HTTPS (HTTP/1.1,
// RFC 9112 status line and headers; no redirects followed, as §3.3 requires).
#include "doctor/mta_sts_policy.hpp"

#include <algorithm>
#include <memory>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <fmt/format.h>
#include <openssl/x509v3.h>

#include "core/ascii.hpp"
#include "relay/mta_sts_policy.hpp"

namespace hikyaku::doctor {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr size_t kMaxPolicy = 64 * 1024;  // RFC 8461 §3.3

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = core::ascii_lower(c);
  return out;
}

}  // namespace

asio::awaitable<PolicyFetch> fetch_mta_sts_policy(std::string host, std::string address, unsigned short port,
                                                  std::chrono::milliseconds timeout) {
  PolicyFetch out;
  auto executor = co_await asio::this_coro::executor;
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  tls->set_default_verify_paths(ec);
  tls->set_verify_mode(asio::ssl::verify_peer);
  auto chain_ok = std::make_shared<bool>(true);
  tls->set_verify_callback([chain_ok](bool preverified, asio::ssl::verify_context&) {
    if (!preverified) *chain_ok = false;
    return true;  // judged below, not enforced here
  });
  auto stream = std::make_shared<asio::ssl::stream<tcp::socket>>(executor, *tls);
  auto done = std::make_shared<bool>(false);
  asio::steady_timer timer(executor);
  timer.expires_after(timeout);
  timer.async_wait([stream, done, tls](boost::system::error_code e) {
    if (e || *done) return;
    boost::system::error_code ignored;
    stream->next_layer().close(ignored);
  });
  const auto ip = asio::ip::make_address(address, ec);
  if (!ec) {
    const tcp::endpoint endpoint(ip, port);
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await stream->next_layer().async_connect(endpoint, token);
  }
  if (ec) {
    out.error = "connect: " + ec.message();
  } else {
    out.connected = true;
    SSL_set_tlsext_host_name(stream->native_handle(), host.c_str());
    {
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      co_await stream->async_handshake(asio::ssl::stream_base::client, token);
    }
    if (ec) {
      out.error = "TLS: " + ec.message();
    } else {
      X509* cert = SSL_get1_peer_certificate(stream->native_handle());
      out.name_matches = cert != nullptr && X509_check_host(cert, host.c_str(), host.size(), 0, nullptr) == 1;
      out.chain_trusted = *chain_ok;
      X509_free(cert);
      const std::string request = "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " + host +
                                  "\r\nUser-Agent: hikyaku-doctor\r\nConnection: close\r\n\r\n";
      auto out_buf = asio::buffer(request);
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      co_await asio::async_write(*stream, out_buf, token);
      std::string response;
      std::array<char, 4096> chunk{};
      auto into = asio::buffer(chunk);
      while (!ec && response.size() <= kMaxPolicy + 8192) {
        const size_t n = co_await stream->async_read_some(into, token);
        response.append(chunk.data(), n);
      }
      const size_t end = response.find("\r\n\r\n");
      if (end == std::string::npos || !response.starts_with("HTTP/1.")) {
        out.error = "no HTTP response";
      } else {
        const size_t sp = response.find(' ');
        out.status = std::atoi(response.c_str() + sp + 1);
        std::string_view headers(response.data(), end);
        for (size_t pos = headers.find("\r\n"); pos != std::string_view::npos;) {
          const size_t next = headers.find("\r\n", pos + 2);
          const std::string_view h = headers.substr(pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
          const size_t colon = h.find(':');
          if (colon != std::string_view::npos && lower(trim(h.substr(0, colon))) == "content-type") {
            out.content_type = lower(trim(h.substr(colon + 1)));
          }
          if (colon != std::string_view::npos && lower(trim(h.substr(0, colon))) == "transfer-encoding") {
            out.error = "chunked transfer encoding is not read";
          }
          pos = next;
        }
        out.body = response.substr(end + 4);
        if (out.body.size() > kMaxPolicy) out.error = "policy over 64 KiB (RFC 8461 §3.3)";
      }
    }
  }
  *done = true;
  timer.cancel();
  co_return out;
}

void mta_sts_findings(const std::string& domain, const PolicyFetch& fetch, const std::vector<std::string>& mx_hosts,
                      std::vector<Finding>& out) {
  const std::string url = "https://mta-sts." + domain + "/.well-known/mta-sts.txt";
  const std::string fix = fmt::format("serve {} over HTTPS with a certificate for mta-sts.{}", url, domain);
  if (!fetch.error.empty() || fetch.status != 200) {
    add_finding(out, Severity::error, "mta_sts.policy", url,
        fmt::format("the policy announced in _mta-sts could not be fetched ({}): senders that saw an older policy "
                    "keep enforcing it",
                    !fetch.error.empty() ? fetch.error : "HTTP " + std::to_string(fetch.status)),
        fix);
    return;
  }
  if (!fetch.name_matches) {
    add_finding(out, Severity::error, "mta_sts.policy", url,
        fmt::format("the HTTPS certificate does not name mta-sts.{}: senders ignore the policy (RFC 8461 §3.3)", domain), fix);
    return;
  }
  if (!fetch.content_type.starts_with("text/plain")) {
    add_finding(out, Severity::warn, "mta_sts.policy", url,
        fmt::format("Content-Type is \"{}\", not text/plain (RFC 8461 §3.3)", fetch.content_type), "serve it as text/plain");
  }
  auto policy = relay::parse_mta_sts_policy(fetch.body);
  if (!policy) {
    add_finding(out, Severity::error, "mta_sts.policy", url, "invalid policy: " + policy.error(),
        "version: STSv1 / mode: enforce / mx: <each MX host or *.pattern> / max_age: 604800");
    return;
  }
  if (policy->lines.empty() || !policy->lines.front().starts_with("version:")) {
    // The RFC's ABNF allows any order, but some senders read the version from the first line.
    add_finding(out, Severity::warn, "mta_sts.policy", url, "\"version: STSv1\" is not the first line",
                "put \"version: STSv1\" first");
  }
  const std::string mode(relay::to_string(policy->mode));
  std::vector<std::string> unmatched;
  for (const auto& host : mx_hosts) {
    if (!relay::policy_allows_mx(*policy, host)) unmatched.push_back(host);
  }
  if (!unmatched.empty() && policy->mode != relay::MtaStsMode::none) {
    std::string list;
    for (const auto& u : unmatched) list += (list.empty() ? "" : ", ") + u;
    add_finding(out, mode == "enforce" ? Severity::error : Severity::warn, "mta_sts.mx", url,
        fmt::format("MX host(s) {} match no mx: pattern of the policy (mode {}): {}", list, mode,
                    mode == "enforce" ? "senders enforcing MTA-STS do not deliver to them"
                                              : "reports will show failures"),
        "add \"mx: <host>\" lines (a \"*.\" pattern covers one leftmost label only) and change the id in _mta-sts");
    return;
  }
  add_finding(out, fetch.chain_trusted ? Severity::ok : Severity::info, "mta_sts.policy", url,
      fmt::format("policy mode {} covers every MX host{}", mode,
                  fetch.chain_trusted ? "" : " (the certificate chain is not trusted here)"),
      "");
}

}  // namespace hikyaku::doctor
