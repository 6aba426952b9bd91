// Delivery of one transaction to one destination domain: MX lookup, next-hop order, each host's
// addresses by family, the client over them, the next host after a temporary failure.
// RFC 5321 §5.1 (MX, implicit MX, trying hosts in order), RFC 7505 (null MX), RFC 2181 §10.3
// (an MX target must not be a CNAME: followed, and logged).
#pragma once
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "relay/loop_detection.hpp"
#include "relay/next_hop.hpp"
#include "relay/smtp_client.hpp"
#include "relay/tls_facts.hpp"
#include "relay/tls_policy.hpp"

namespace hikyaku::relay {

class ConnectionPool;

struct DomainDeliveryOptions {
  ClientOptions client;
  uint16_t port = 25;                            // relay.port
  FamilyPolicy family = FamilyPolicy::ipv6_first;  // relay.address_family
  std::vector<std::string> ipv4_only;              // relay.ipv4_only: A-label domains
  size_t max_mx_hosts = 5;                         // relay.max_mx_hosts
  size_t max_addresses = 10;                       // relay.max_addresses, over all hosts
  // Our listening addresses: a next hop among them is ourselves (relay/loop_detection.hpp).
  std::shared_ptr<const SelfAddresses> self;
  ConnectionPool* pool = nullptr;
  // [relay] tls_policy: the operator's override per destination domain (A-labels).
  std::vector<std::pair<std::string, TlsPolicyOverride>> tls_overrides;
  // MTA-STS policies (RFC 8461); null: not consulted.
  std::shared_ptr<MtaStsSource> mta_sts;

  TlsPolicyOverride tls_override_for(const std::string& domain) const;

  // The policy for one destination domain (A-labels): IPv4 only when listed, else `family`.
  FamilyPolicy family_for(const std::string& domain) const;
  // Options from [relay]; the loader has validated the values.
  static DomainDeliveryOptions from(const config::RelayConfig& relay, ConnectionPool* pool);
  // The same, with loop detection from [server]: its listeners, and its host name and
  // relay.helo_name as our own names.
  static DomainDeliveryOptions from(const config::Config& config, ConnectionPool* pool);
};

struct DomainOutcome {
  std::string domain;
  // The attempt that decided: its host, endpoint, TLS and per-recipient result (one entry per
  // recipient, always). For a DNS failure or a null MX, `failure` says so and host is empty.
  ConnectionOutcome decided;
  // Every earlier host/address tried and why it was left, for the log.
  std::vector<std::string> tried;
  // Postfix's delays= c and d: everything before the deciding transaction (DNS, connects,
  // greetings, EHLO, TLS, earlier hosts) and the transaction itself.
  std::chrono::steady_clock::duration setup{};
  std::chrono::steady_clock::duration transmission{};
  // The TLS plan the delivery followed (policy type, why) and every new connection's TLS
  // result under it, for logs, metrics and TLS reports (RFC 8460).
  DomainTlsPlan tls_plan;
  std::vector<TlsSessionRecord> tls_sessions;
};

// Runs on `executor` (the session's strand). Never throws for mail reasons.
asio::awaitable<DomainOutcome> deliver_to_domain(asio::any_io_executor executor,
                                                 dns::Resolver& resolver, std::string domain,
                                                 OutboundTransaction tx,
                                                 const DomainDeliveryOptions& options);

}  // namespace hikyaku::relay
