// SMTP probing of MX hosts: RFC 5321 §4.2 replies (multi-line "NNN-", last "NNN "), §4.1.1.1
// EHLO, RFC 3207 STARTTLS (input buffered before the handshake is discarded), RFC 6125 §6 name
// check of the certificate. Bounded in time and size.
#include "doctor/probe.hpp"

#include <algorithm>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <fmt/format.h>
#include <openssl/x509v3.h>

#include "dns/names.hpp"

namespace hikyaku::doctor {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr size_t kMaxReply = 64 * 1024;

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "NNN-"/"NNN "
};

// One complete reply at the front of `buffer`, removed from it; nullopt while incomplete.
std::optional<Reply> take_reply(std::string& buffer, bool& malformed) {
  Reply r;
  size_t pos = 0;
  for (;;) {
    const size_t nl = buffer.find("\r\n", pos);
    if (nl == std::string::npos) return std::nullopt;
    const std::string line = buffer.substr(pos, nl - pos);
    pos = nl + 2;
    if (line.size() < 3 || !std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; }) ||
        (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      malformed = true;
      return std::nullopt;
    }
    r.code = std::stoi(line.substr(0, 3));
    r.lines.push_back(line.size() > 4 ? line.substr(4) : "");
    if (line.size() == 3 || line[3] == ' ') break;
  }
  buffer.erase(0, pos);
  return r;
}

template <class Stream>
asio::awaitable<std::optional<Reply>> read_reply(Stream& stream, std::string& buffer, std::string& error) {
  std::array<char, 4096> chunk{};
  for (;;) {
    bool malformed = false;
    if (auto r = take_reply(buffer, malformed)) co_return r;
    if (malformed) {
      error = "malformed reply";
      co_return std::nullopt;
    }
    if (buffer.size() > kMaxReply) {
      error = "reply too long";
      co_return std::nullopt;
    }
    boost::system::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    auto into = asio::buffer(chunk);
    const size_t n = co_await stream.async_read_some(into, token);
    if (ec) {
      error = "reading: " + ec.message();
      co_return std::nullopt;
    }
    buffer.append(chunk.data(), n);
  }
}

template <class Stream>
asio::awaitable<bool> send_line(Stream& stream, const std::string& line, std::string& error) {
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  const std::string data = line + "\r\n";
  auto out = asio::buffer(data);
  co_await asio::async_write(stream, out, token);
  if (ec) error = "writing: " + ec.message();
  co_return !ec;
}

std::string subject_of(X509* cert) {
  if (cert == nullptr) return {};
  char buf[512] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf - 1);
  return buf;
}

}  // namespace

std::vector<ProbeTarget> probe_targets(const DoctorOptions& options, const Answers& answers) {
  std::vector<ProbeTarget> out;
  const Observation* mx = answers.find(QueryKey{options.domain, dns::RecordType::mx, {}});
  if (mx == nullptr || !mx->answer.ok()) return out;
  auto records = mx->answer.mx;
  std::stable_sort(records.begin(), records.end(),
                   [](const dns::MxRecord& a, const dns::MxRecord& b) { return a.preference < b.preference; });
  std::vector<std::string> seen;
  for (const auto& r : records) {
    if (r.exchange == "." || std::find(seen.begin(), seen.end(), r.exchange) != seen.end()) continue;
    seen.push_back(r.exchange);
    for (const auto type : {dns::RecordType::aaaa, dns::RecordType::a}) {
      const Observation* a = answers.find(QueryKey{r.exchange, type, {}});
      if (a == nullptr) continue;
      for (const auto& ip : a->answer.addresses) out.push_back(ProbeTarget{r.preference, r.exchange, ip.to_string()});
    }
  }
  return out;
}

asio::awaitable<ProbeResult> probe_smtp(ProbeTarget target, unsigned short port, std::string helo,
                                        std::chrono::milliseconds timeout) {
  ProbeResult result;
  result.target = target;
  const auto start = std::chrono::steady_clock::now();
  auto executor = co_await asio::this_coro::executor;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  tls.set_default_verify_paths(ec);
  tls.set_verify_mode(asio::ssl::verify_peer);
  bool chain_ok = true;
  tls.set_verify_callback([&chain_ok](bool preverified, asio::ssl::verify_context&) {
    if (!preverified) chain_ok = false;
    return true;  // judged, not enforced: the name and chain become findings
  });
  // The stream and the flags are shared with the deadline's handler, which may already be
  // queued when the probe finishes; `done` makes it a no-op then.
  auto stream_ptr = std::make_shared<asio::ssl::stream<tcp::socket>>(executor, tls);
  auto& stream = *stream_ptr;
  auto done = std::make_shared<bool>(false);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor);
  timer.expires_after(timeout);
  timer.async_wait([stream_ptr, done, timed_out](boost::system::error_code e) {
    if (e || *done) return;
    *timed_out = true;
    boost::system::error_code ignored;
    stream_ptr->next_layer().close(ignored);
  });
  const auto finish = [&](std::string error) {
    if (result.error.empty()) {
      result.error = *timed_out ? "no progress within " + std::to_string(timeout.count()) + "ms" : std::move(error);
    }
    *done = true;
    timer.cancel();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto address = asio::ip::make_address(target.address, ec);
  if (ec) {
    finish("bad address");
    co_return result;
  }
  const tcp::endpoint endpoint(address, port);
  {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await stream.next_layer().async_connect(endpoint, token);
  }
  if (ec) {
    finish("connect: " + ec.message());
    co_return result;
  }
  result.connected = true;
  std::string buffer, error;
  auto greeting = co_await read_reply(stream.next_layer(), buffer, error);
  if (!greeting) {
    finish(error);
    co_return result;
  }
  result.greeting_code = greeting->code;
  result.greeting = greeting->lines.front();
  if (greeting->code != 220) {
    finish("greeting " + std::to_string(greeting->code));
    co_return result;
  }
  // Named locals only inside co_await full-expressions (g++ 12 destroys such temporaries twice).
  const std::string ehlo_line = "EHLO " + helo;
  const std::string starttls_line = "STARTTLS";
  const std::string quit_line = "QUIT";
  bool sent = co_await send_line(stream.next_layer(), ehlo_line, error);
  if (!sent) {
    finish(error);
    co_return result;
  }
  auto ehlo = co_await read_reply(stream.next_layer(), buffer, error);
  if (!ehlo) {
    finish(error);
    co_return result;
  }
  result.ehlo_code = ehlo->code;
  for (size_t i = 1; i < ehlo->lines.size(); ++i) {
    std::string keyword = ehlo->lines[i].substr(0, ehlo->lines[i].find(' '));
    for (char& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (keyword == "STARTTLS") result.starttls_offered = true;
  }
  if (ehlo->code == 250 && result.starttls_offered) {
    sent = co_await send_line(stream.next_layer(), starttls_line, error);
    if (!sent) {
      finish(error);
      co_return result;
    }
    auto go = co_await read_reply(stream.next_layer(), buffer, error);
    if (!go || go->code != 220) {
      result.tls_error = go ? "STARTTLS refused with " + std::to_string(go->code) : error;
    } else {
      buffer.clear();  // RFC 3207 §4.2: nothing read before the handshake counts
      SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str());
      {
        auto token = asio::redirect_error(asio::use_awaitable, ec);
        co_await stream.async_handshake(asio::ssl::stream_base::client, token);
      }
      if (ec) {
        result.tls_error = "handshake: " + ec.message();
      } else {
        result.tls_ok = true;
        result.chain_trusted = chain_ok;
        X509* cert = SSL_get1_peer_certificate(stream.native_handle());
        result.certificate = subject_of(cert);
        result.name_matches = cert != nullptr && X509_check_host(cert, target.host.c_str(), target.host.size(), 0, nullptr) == 1;
        X509_free(cert);
        sent = co_await send_line(stream, quit_line, error);
        if (sent) {
          auto bye = co_await read_reply(stream, buffer, error);
          (void)bye;
        }
      }
    }
  } else {
    sent = co_await send_line(stream.next_layer(), quit_line, error);
    if (sent) {
      auto bye = co_await read_reply(stream.next_layer(), buffer, error);
      (void)bye;
    }
  }
  const bool late = *timed_out;
  finish({});
  if (!late) result.error.clear();
  co_return result;
}

void probe_findings(const std::string& domain, const std::vector<ProbeResult>& results, std::vector<Finding>& out) {
  const ProbeResult* taker = nullptr;
  for (const auto& r : results) {
    const std::string subject = fmt::format("{} {}", r.target.host, r.target.address);
    const bool takes = r.connected && r.greeting_code == 220 && r.ehlo_code == 250;
    if (!r.connected) {
      add_finding(out, Severity::warn, "probe.connect", subject,
                     fmt::format("no SMTP connection ({}): senders skip this address", r.error),
                     "check that the server listens on port 25 and the firewall lets it through");
      continue;
    }
    if (!takes) {
      add_finding(out, Severity::error, "probe.greeting", subject,
                     r.greeting_code != 220
                         ? fmt::format("the greeting was {} \"{}\"{}", r.greeting_code, r.greeting,
                                       r.error.empty() ? "" : " (" + r.error + ")")
                         : fmt::format("EHLO was answered {}{}", r.ehlo_code, r.error.empty() ? "" : " (" + r.error + ")"),
                     "the server must greet with 220 and accept EHLO (RFC 5321 §4.2, §4.1.1.1)");
      continue;
    }
    if (taker == nullptr) taker = &r;
    if (!r.starttls_offered) {
      add_finding(out, Severity::warn, "probe.starttls", subject, "STARTTLS is not offered: mail to it travels in clear text",
                     "configure a certificate and offer STARTTLS (RFC 3207)");
    } else if (!r.tls_ok) {
      add_finding(out, Severity::warn, "probe.tls", subject, "STARTTLS is offered but fails: " + r.tls_error,
                     "fix the server's TLS setup; senders fall back to clear text or defer");
    } else if (!r.name_matches) {
      add_finding(out, Severity::warn, "probe.certificate", subject,
                     fmt::format("the certificate ({}) does not name {}: MTA-STS and DANE senders refuse it", r.certificate,
                                 r.target.host),
                     fmt::format("a certificate with {} among its names", r.target.host));
    } else {
      add_finding(out, r.chain_trusted ? Severity::ok : Severity::info, "probe.certificate", subject,
                     r.chain_trusted ? fmt::format("STARTTLS with a certificate for {}", r.target.host)
                                     : fmt::format("the certificate names {} but its chain is not trusted here", r.target.host),
                     r.chain_trusted ? "" : "a certificate from a public CA, with its intermediates");
    }
  }
  if (taker == nullptr) {
    add_finding(out, Severity::error, "probe.delivery", domain, "no MX host accepted an SMTP session: mail is not delivered",
                   "see the probe.* findings of each host");
    return;
  }
  const bool preferred = !results.empty() && taker->target.preference == results.front().target.preference;
  add_finding(out, preferred ? Severity::ok : Severity::warn, "probe.delivery", domain,
                 preferred ? fmt::format("mail would be taken by {} ({}, preference {})", taker->target.host,
                                         taker->target.address, taker->target.preference)
                           : fmt::format("the preferred host(s) do not take mail; senders retry, then {} ({}, preference {}) "
                                         "takes it",
                                         taker->target.host, taker->target.address, taker->target.preference),
                 preferred ? "" : "fix the preferred host or raise its preference number");
}

}  // namespace hikyaku::doctor
