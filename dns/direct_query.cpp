// Direct UDP queries (RFC 1035 §4.1 message format, §4.2.1 UDP, RD=0) for the doctor's
// per-authoritative-server questions; replies read with wire.hpp.
#include "dns/direct_query.hpp"

#include <random>

#include <boost/asio.hpp>

#include "dns/names.hpp"
#include "dns/wire.hpp"

namespace hikyaku::dns {

std::vector<uint8_t> encode_query(uint16_t id, std::string_view name, RecordType type, bool recursion_desired) {
  auto parsed = parse_name(name);
  if (!parsed || wire_length(parsed->labels) > kMaxNameLength) return {};
  std::vector<uint8_t> out = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id & 0xFF),
                              static_cast<uint8_t>(recursion_desired ? 0x01 : 0x00), 0x00,
                              0, 1, 0, 0, 0, 0, 0, 0};
  for (const auto& label : parsed->labels) {
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
  out.push_back(0);
  const auto t = static_cast<uint16_t>(type);
  out.push_back(static_cast<uint8_t>(t >> 8));
  out.push_back(static_cast<uint8_t>(t & 0xFF));
  out.push_back(0);
  out.push_back(1);  // class IN
  return out;
}

std::optional<asio::ip::udp::endpoint> parse_server_endpoint(std::string_view text) {
  std::string host;
  std::string port = "53";
  const std::string t(text);
  if (!t.empty() && t.front() == '[') {
    const size_t close = t.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = t.substr(1, close - 1);
    if (close + 1 < t.size()) {
      if (t[close + 1] != ':') return std::nullopt;
      port = t.substr(close + 2);
    }
  } else if (const size_t colon = t.find(':'); colon != std::string::npos && t.find(':', colon + 1) == std::string::npos) {
    host = t.substr(0, colon);
    port = t.substr(colon + 1);
  } else {
    host = t;
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (ec || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const int p = std::stoi(port);
  if (p < 1 || p > 65535) return std::nullopt;
  return asio::ip::udp::endpoint(ip, static_cast<unsigned short>(p));
}

asio::awaitable<DirectReply> query_direct(asio::ip::udp::endpoint server, std::string name, RecordType type,
                                          std::chrono::milliseconds timeout) {
  DirectReply reply;
  auto canonical = normalise_name(name);
  if (!canonical) {
    reply.answer = DnsAnswer::failure(std::move(name), type, DnsStatus::nxdomain, "not a valid domain name");
    co_return reply;
  }
  static thread_local std::mt19937 ids{std::random_device{}()};
  const auto id = static_cast<uint16_t>(ids());
  const std::vector<uint8_t> query = encode_query(id, *canonical, type, false);
  auto executor = co_await asio::this_coro::executor;
  asio::ip::udp::socket socket(executor);
  boost::system::error_code ec;
  socket.open(server.protocol(), ec);
  if (!ec) socket.connect(server, ec);  // connected: ICMP errors come back as ECONNREFUSED
  if (ec) {
    reply.answer = DnsAnswer::failure(*canonical, type, DnsStatus::servfail, "cannot send: " + ec.message());
    co_return reply;
  }
  asio::steady_timer timer(executor);
  timer.expires_after(timeout);
  bool timed_out = false;
  timer.async_wait([&socket, &timed_out](boost::system::error_code e) {
    if (e) return;
    timed_out = true;
    boost::system::error_code ignored;
    socket.cancel(ignored);
  });
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  const auto out = asio::buffer(query);
  co_await socket.async_send(out, token);
  std::vector<uint8_t> buffer(65535);
  const auto in = asio::buffer(buffer);
  while (!ec) {
    const size_t n = co_await socket.async_receive(in, token);
    if (ec) break;
    const std::span<const uint8_t> bytes(buffer.data(), n);
    const auto message = parse_message(bytes);
    if (!message || message->id != id || message->question_name != *canonical ||
        message->question_type != static_cast<uint16_t>(type)) {
      continue;  // not the reply to this question
    }
    timer.cancel();
    reply.rcode = message->rcode;
    reply.authoritative = (message->flags & 0x0400) != 0;
    if ((message->flags & 0x0200) != 0) {
      reply.answer = DnsAnswer::failure(*canonical, type, DnsStatus::servfail, "truncated reply (TC)");
      co_return reply;
    }
    if (message->rcode != 0 && message->rcode != 3) {
      reply.answer = DnsAnswer::failure(*canonical, type, DnsStatus::servfail,
                                        "RCODE " + std::to_string(message->rcode));
      co_return reply;
    }
    reply.answer = answer_from_message(*message, *canonical, type);
    if (type == RecordType::soa) {
      for (const auto& rr : message->answer) {
        if (rr.type != static_cast<uint16_t>(RecordType::soa)) continue;
        if (auto soa = decode_soa(bytes, rr.rdata_offset, rr.rdata_length)) reply.soa_serial = soa->serial;
        break;
      }
    }
    co_return reply;
  }
  timer.cancel();
  reply.answer = DnsAnswer::failure(*canonical, type, timed_out ? DnsStatus::timeout : DnsStatus::servfail,
                                    timed_out ? "no reply within " + std::to_string(timeout.count()) + "ms"
                                              : "no reply: " + ec.message());
  co_return reply;
}

}  // namespace hikyaku::dns
