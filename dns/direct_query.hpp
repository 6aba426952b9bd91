// One question sent straight to one server over UDP, recursion not desired (RFC 1035 §4.1.1
// RD=0), as `dig +norecurse @server` does: how the doctor asks each authoritative server of a
// zone for its own data (propagation, RFC 1034 §4.3.1). Not a resolver: no retries, no CNAME
// chasing beyond the reply, no cache; the reply's RCODE, AA bit and SOA serial are kept.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "dns/types.hpp"

namespace hikyaku::dns {

struct DirectReply {
  DnsAnswer answer;        // as answer_from_message reads it; timeout/servfail on no usable reply
  int rcode = -1;          // the reply's RCODE; -1 when there was no reply
  bool authoritative = false;  // AA (RFC 1035 §4.1.1)
  std::optional<uint32_t> soa_serial;  // for SOA questions answered with an SOA
};

// The query message: header with `id`, RD as given, one question (`name` canonical, class IN).
// Empty when `name` is not a valid name.
std::vector<uint8_t> encode_query(uint16_t id, std::string_view name, RecordType type, bool recursion_desired);

// Asks `server` once and waits at most `timeout` for a reply with the same id and question.
// A refused (ICMP port unreachable) or silent server completes as timeout/SERVFAIL.
asio::awaitable<DirectReply> query_direct(asio::ip::udp::endpoint server, std::string name, RecordType type,
                                          std::chrono::milliseconds timeout);

// "192.0.2.1:53", "[2001:db8::1]:53" to an endpoint; nullopt when malformed.
std::optional<asio::ip::udp::endpoint> parse_server_endpoint(std::string_view text);

}  // namespace hikyaku::dns
