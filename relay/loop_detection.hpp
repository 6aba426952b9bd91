// Mail must never be relayed back to ourselves (RFC 5321 §5.1; §6.3 on loops): a next-hop
// address we listen on, or an upstream that greets us or answers EHLO with one of our own host
// names, is ourselves. Such a host is skipped; when only ourselves remain the destination fails
// with 554 5.4.6 "mail for D loops back to myself" (Postfix's words).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/smtp_reply.hpp"

namespace hikyaku::relay {

class SelfAddresses {
 public:
  // `listeners`: where we accept mail; an unspecified address (0.0.0.0, ::) means every
  // address of its family on this host: `local` (the interfaces' addresses) and loopback.
  SelfAddresses(std::vector<asio::ip::tcp::endpoint> listeners, std::vector<asio::ip::address> local);
  // The [server] listeners (plain and PROXY ones alike: a connection to either is ours), with
  // the interface addresses of this host from getifaddrs(3).
  static std::shared_ptr<const SelfAddresses> of(const std::vector<config::ListenAddress>& listen);

  // True when a connection to `destination` would reach one of our listeners.
  bool is_self(const asio::ip::tcp::endpoint& destination) const;

 private:
  std::vector<asio::ip::tcp::endpoint> listeners_;
  std::vector<asio::ip::address> local_;
};

// The addresses of this host's interfaces (getifaddrs), IPv4 and IPv6; empty on failure.
std::vector<asio::ip::address> interface_addresses();

// greets_as_us (the host-name half) is in relay/client_protocol.hpp: the sans-I/O client uses it.

// 554 5.4.6 (RFC 3463 §3.5 X.4.6 "Routing loop detected").
core::SmtpReply loops_back(std::string_view domain);

}  // namespace hikyaku::relay
