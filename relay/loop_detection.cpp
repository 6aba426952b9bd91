// Loop detection for outbound delivery: our own listening addresses (wildcards expanded to the
// interfaces' addresses and loopback) and our own host names in an upstream's greeting or EHLO
// reply. RFC 5321 §5.1, §6.3; RFC 3463 §3.5 (X.4.6).
#include "relay/loop_detection.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace hikyaku::relay {

namespace ip = asio::ip;

namespace {

ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

SelfAddresses::SelfAddresses(std::vector<ip::tcp::endpoint> listeners, std::vector<ip::address> local)
    : listeners_(std::move(listeners)), local_(std::move(local)) {
  for (auto& a : local_) a = unmapped(a);
}

std::shared_ptr<const SelfAddresses> SelfAddresses::of(const std::vector<config::ListenAddress>& listen) {
  std::vector<ip::tcp::endpoint> endpoints;
  for (const auto& l : listen) {
    boost::system::error_code ec;
    const auto a = ip::make_address(l.host, ec);
    if (!ec && l.port != 0) endpoints.emplace_back(a, l.port);
  }
  return std::make_shared<const SelfAddresses>(std::move(endpoints), interface_addresses());
}

bool SelfAddresses::is_self(const ip::tcp::endpoint& destination) const {
  const ip::address to = unmapped(destination.address());
  for (const auto& l : listeners_) {
    if (l.port() != destination.port()) continue;
    const ip::address at = unmapped(l.address());
    if (at == to) return true;
    // A wildcard listener (IPv6 ones are v6-only, smtpd/server.cpp) takes every address of
    // its family here: the interfaces' and the loopback range.
    if (!at.is_unspecified() || at.is_v4() != to.is_v4()) continue;
    if (to.is_loopback()) return true;
    if (std::find(local_.begin(), local_.end(), to) != local_.end()) return true;
  }
  return false;
}

std::vector<ip::address> interface_addresses() {
  std::vector<ip::address> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      ip::address_v4::bytes_type b;
      std::copy_n(reinterpret_cast<const unsigned char*>(&sin->sin_addr), 4, b.begin());
      out.emplace_back(ip::address_v4(b));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      ip::address_v6::bytes_type b;
      std::copy_n(reinterpret_cast<const unsigned char*>(&sin6->sin6_addr), 16, b.begin());
      out.emplace_back(ip::address_v6(b, sin6->sin6_scope_id));
    }
  }
  freeifaddrs(list);
  return out;
}

core::SmtpReply loops_back(std::string_view domain) {
  return core::SmtpReply::make(554, "5.4.6", "mail for " + std::string(domain) + " loops back to myself");
}

}  // namespace hikyaku::relay
