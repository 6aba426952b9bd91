// deliver_to_domain: MX lookup through dns/, RFC 5321 §5.1 host order (implicit MX when there
// is none, RFC 7505 null MX refused with 556 5.1.10), each host's AAAA/A addresses in family
// order, and the next host after a temporary failure. A 5xx or any transaction result decides.
#include "relay/domain_delivery.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/address.hpp"

namespace hikyaku::relay {

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

// Every recipient of `tx` decided by one made-up reply (DNS failure, null MX, no address).
ConnectionOutcome fail_all(const OutboundTransaction& tx, Stage stage, core::SmtpReply reply) {
  ConnectionOutcome out;
  out.failure = ConnectionFailure{stage, reply, false};
  for (const auto& r : tx.recipients) out.result.recipients.push_back({r, reply, false});
  return out;
}

std::string endpoint_text(const asio::ip::tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

struct HostAddresses {
  std::vector<asio::ip::address> aaaa, a;
  bool temporary = false;   // a lookup failed temporarily
  bool nxdomain = false;    // neither name nor address exists
  std::string cname_note;   // "mx.example -> real.example" when the name was a CNAME
};

asio::awaitable<HostAddresses> lookup_addresses(dns::Resolver& resolver, const std::string& host,
                                                FamilyPolicy family) {
  HostAddresses out;
  auto take = [&out](const dns::DnsAnswer& ans, std::vector<asio::ip::address>& into) {
    if (ans.ok()) into = ans.addresses;
    if (ans.temporary_failure()) out.temporary = true;
    if (!ans.cname_chain.empty() && out.cname_note.empty()) {
      out.cname_note = ans.name + " -> " + ans.canonical_name;
    }
    return ans.status == dns::DnsStatus::nxdomain;
  };
  bool nx6 = true, nx4 = true;
  if (family != FamilyPolicy::ipv4_only) {
    nx6 = take(co_await resolver.query(host, dns::RecordType::aaaa), out.aaaa);
  }
  if (family != FamilyPolicy::ipv6_only) {
    nx4 = take(co_await resolver.query(host, dns::RecordType::a), out.a);
  }
  out.nxdomain = nx6 && nx4;
  co_return out;
}

}  // namespace

TlsPolicyOverride DomainDeliveryOptions::tls_override_for(const std::string& domain) const {
  for (const auto& [d, o] : tls_overrides) {
    if (d == domain) return o;
  }
  return TlsPolicyOverride::automatic;
}

FamilyPolicy DomainDeliveryOptions::family_for(const std::string& domain) const {
  for (const auto& d : ipv4_only) {
    if (d == domain) return FamilyPolicy::ipv4_only;
  }
  return family;
}

DomainDeliveryOptions DomainDeliveryOptions::from(const config::RelayConfig& relay,
                                                  ConnectionPool* pool) {
  DomainDeliveryOptions o;
  o.client = ClientOptions::from(relay);
  o.port = relay.port;
  o.pool = pool;
  o.ipv4_only = relay.ipv4_only;
  for (const auto& [domain, mode] : relay.tls_policy) {
    if (auto parsed = parse_tls_policy_override(mode)) o.tls_overrides.emplace_back(domain, *parsed);
  }
  o.max_mx_hosts = relay.max_mx_hosts;
  o.max_addresses = relay.max_addresses;
  if (relay.address_family == "ipv4_first") o.family = FamilyPolicy::ipv4_first;
  if (relay.address_family == "ipv4_only") o.family = FamilyPolicy::ipv4_only;
  if (relay.address_family == "ipv6_only") o.family = FamilyPolicy::ipv6_only;
  return o;
}

DomainDeliveryOptions DomainDeliveryOptions::from(const config::Config& config,
                                                  ConnectionPool* pool) {
  DomainDeliveryOptions o = from(config.relay, pool);
  o.self = SelfAddresses::of(config.server.listen);
  for (const auto& name : {config.server.hostname, config.relay.helo_name}) {
    std::string lower = core::ascii_lower(name);
    if (!lower.empty() && std::find(o.client.own_names.begin(), o.client.own_names.end(), lower) ==
                              o.client.own_names.end()) {
      o.client.own_names.push_back(std::move(lower));
    }
  }
  return o;
}

namespace {

asio::awaitable<DomainOutcome> deliver_to_domain_untimed(asio::any_io_executor executor,
                                                         dns::Resolver& resolver, std::string domain,
                                                         OutboundTransaction tx,
                                                         const DomainDeliveryOptions& options);

}  // namespace

asio::awaitable<DomainOutcome> deliver_to_domain(asio::any_io_executor executor,
                                                 dns::Resolver& resolver, std::string domain,
                                                 OutboundTransaction tx,
                                                 const DomainDeliveryOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  DomainOutcome out = co_await deliver_to_domain_untimed(std::move(executor), resolver, std::move(domain),
                                                         std::move(tx), options);
  out.transmission = out.decided.transmission;
  out.setup = std::chrono::steady_clock::now() - start - out.transmission;
  co_return out;
}

namespace {

asio::awaitable<DomainOutcome> deliver_to_domain_untimed(asio::any_io_executor executor,
                                                         dns::Resolver& resolver, std::string domain,
                                                         OutboundTransaction tx,
                                                         const DomainDeliveryOptions& options) {
  DomainOutcome out;
  out.domain = domain;
  const auto mx = co_await resolver.query(domain, dns::RecordType::mx);
  if (mx.temporary_failure()) {
    // The sender sees a short cause with the domain; the answer itself (TTL, records) is logged.
    spdlog::info("MX lookup for {} failed: {}", domain, dns::describe(mx));
    const std::string cause = mx.detail.empty() ? std::string(dns::to_string(mx.status)) : mx.detail;
    out.decided = fail_all(tx, Stage::connect,
                           core::SmtpReply::make(451, "4.4.3", fmt::format(
                               "Error: DNS lookup of MX for {} failed: {}", domain, cause)));
    co_return out;
  }
  if (mx.status == dns::DnsStatus::nxdomain) {
    out.decided = fail_all(tx, Stage::connect, core::SmtpReply::make(550, "5.1.2", fmt::format(
                               "Error: recipient domain {} does not exist", domain)));
    co_return out;
  }
  std::vector<MxRecord> records;
  for (const auto& r : mx.mx) records.push_back(MxRecord{r.preference, r.exchange});
  const NextHops hops = order_next_hops(domain, records, rng());
  if (hops.is_null_mx()) {
    out.decided = fail_all(tx, Stage::connect, *hops.null_mx);
    co_return out;
  }

  bool any_temporary = false;
  bool loop_seen = false;  // a host was ourselves (skipped)
  const FamilyPolicy family = options.family_for(domain);
  // The caps on next hops: the best max_mx_hosts hosts, max_addresses addresses over them all.
  const size_t host_count = std::min(hops.hosts.size(), std::max<size_t>(options.max_mx_hosts, 1));
  if (host_count < hops.hosts.size()) {
    out.tried.push_back(fmt::format("{} more MX host(s) not tried (max_mx_hosts {})",
                                    hops.hosts.size() - host_count, options.max_mx_hosts));
  }
  // The TLS each host must get (DANE, MTA-STS, the override, or opportunistic); an implicit MX
  // is the domain itself, with DANE when the denial of MX records and its address records are
  // secure (RFC 7672 §2.2.1).
  const TlsPolicyOverride override = options.tls_override_for(domain);
  std::vector<std::string> candidates(hops.hosts.begin(), hops.hosts.begin() + host_count);
  const DomainTlsFacts facts = co_await gather_tls_facts(
      resolver, domain, mx.secure, hops.implicit_mx, std::move(candidates), override,
      options.mta_sts.get());
  out.tls_plan = plan_tls(override, facts);
  if (!facts.mta_sts_problem.empty()) {
    // RFC 8461 §5: a record whose policy cannot be had; a cached policy, if any, still holds.
    spdlog::info("MTA-STS policy for {}: {}{}", domain, facts.mta_sts_problem,
                 facts.mta_sts ? " (the cached policy stays in force)" : " (no cached policy)");
  }
  if (override == TlsPolicyOverride::automatic && out.tls_plan.policy_type == PolicyType::no_policy_found &&
      options.client.tls.level == TlsLevel::verify) {
    // [relay] verify_certificates: no domain gets less than a verified certificate.
    for (auto& h : out.tls_plan.hosts) {
      if (h.use && h.level == TlsLevel::may) h.level = TlsLevel::verify;
    }
  }
  if (out.tls_plan.defer) {
    // RFC 7672 §2.2, RFC 8461 §5: the policy cannot be met; the mail waits, never in the clear.
    spdlog::info("TLS policy for {} defers delivery: {}", domain, *out.tls_plan.defer);
    out.decided = fail_all(tx, Stage::connect, core::SmtpReply::make(451, "4.7.5", fmt::format(
                               "Error: TLS policy for {} cannot be met: {}", domain, *out.tls_plan.defer)));
    co_return out;
  }
  size_t addresses_left = std::max<size_t>(options.max_addresses, 1);
  for (size_t h = 0; h < host_count; ++h) {
    const std::string& host = hops.hosts[h];
    const HostTlsPlan& host_tls = out.tls_plan.hosts[h];
    if (!host_tls.use) {
      out.tried.push_back(fmt::format("{}: not used: {}", host, host_tls.why));
      any_temporary = true;
      continue;
    }
    if (addresses_left == 0) {
      out.tried.push_back(fmt::format("{}: not tried (max_addresses {} reached)", host,
                                      options.max_addresses));
      any_temporary = true;
      continue;
    }
    const HostAddresses addrs = co_await lookup_addresses(resolver, host, family);
    if (!addrs.cname_note.empty()) {
      // RFC 2181 §10.3: an MX target must not be an alias. Followed anyway, as MTAs do.
      spdlog::warn("MX host of {} is a CNAME ({}); followed", domain, addrs.cname_note);
    }
    std::vector<asio::ip::tcp::endpoint> endpoints;
    bool self_address = false;
    for (const auto& a : order_addresses(addrs.aaaa, addrs.a, family)) {
      const asio::ip::tcp::endpoint endpoint(a, options.port);
      if (options.self && options.self->is_self(endpoint)) {
        // RFC 5321 §5.1: never relay to ourselves; the address is one we listen on.
        out.tried.push_back(fmt::format("{} [{}]: one of our own listening addresses; skipped",
                                        host, endpoint_text(endpoint)));
        self_address = true;
        continue;
      }
      if (endpoints.size() == addresses_left) {
        out.tried.push_back(fmt::format("{}: more addresses not tried (max_addresses {})", host,
                                        options.max_addresses));
        break;
      }
      endpoints.push_back(endpoint);
    }
    addresses_left -= endpoints.size();
    if (endpoints.empty() && self_address) {
      loop_seen = true;
      continue;
    }
    if (endpoints.empty()) {
      any_temporary = any_temporary || addrs.temporary || !hops.implicit_mx || !addrs.nxdomain;
      out.tried.push_back(fmt::format("{}: no usable address{}", host,
                                      addrs.temporary ? " (DNS failed temporarily)" : ""));
      continue;
    }
    ClientOptions client = options.client;
    client.tls.level = host_tls.level;
    client.tls.tlsa = host_tls.tlsa;
    client.tls.report_only = host_tls.report_only;
    ConnectionOutcome attempt = co_await deliver_to_host(executor, host, endpoints, tx, client,
                                                         options.pool);
    for (auto& line : attempt.attempts) out.tried.push_back(host + " " + line);
    out.tls_sessions.insert(out.tls_sessions.end(), attempt.tls_sessions.begin(),
                            attempt.tls_sessions.end());
    if (attempt.failure && attempt.failure->loop) {
      // The upstream named itself with our host name: ourselves behind another address.
      out.tried.push_back(fmt::format("{} [{}]: {}", host, attempt.endpoint,
                                      attempt.failure->reply.summary()));
      spdlog::warn("MX host {} of {} is ourselves: {}", host, domain, attempt.failure->reply.summary());
      loop_seen = true;
      continue;
    }
    if (attempt.failure && attempt.failure->temporary()) {
      // RFC 5321 §5.1: a host that cannot be reached or answers 4xx before the transaction:
      // try the next one.
      out.tried.push_back(fmt::format("{} [{}]: {}", host, attempt.endpoint,
                                      attempt.failure->reply.summary()));
      any_temporary = true;
      out.decided = std::move(attempt);
      continue;
    }
    out.decided = std::move(attempt);
    co_return out;
  }
  if (out.decided.host.empty() && loop_seen && !any_temporary) {
    // Every host that could be tried was ourselves: permanent, as Postfix says it.
    spdlog::warn("mail for {} loops back to myself", domain);
    out.decided = fail_all(tx, Stage::connect, loops_back(domain));
  } else if (out.decided.host.empty()) {
    // No host had an address. An implicit MX whose name does not exist is permanent.
    out.decided =
        any_temporary
            ? fail_all(tx, Stage::connect, core::SmtpReply::make(451, "4.4.4", fmt::format(
                  "Error: no reachable mail exchanger for {}", domain)))
            : fail_all(tx, Stage::connect, core::SmtpReply::make(550, "5.1.2", fmt::format(
                  "Error: {} has no mail exchanger or address", domain)));
  }
  co_return out;
}

}  // namespace

}  // namespace hikyaku::relay
