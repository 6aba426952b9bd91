// The `tls-policy` verb: the relay's own steps (MX lookup, next-hop order, TLS facts, plan) run
// once over the configured resolver, trust anchors and MTA-STS settings, and printed.
#include "app/tls_policy_command.hpp"

#include <fmt/format.h>

#include <random>

#include "app/mta_sts_spool_store.hpp"
#include "config/loader.hpp"
#include "core/address.hpp"
#include "dns/unbound_resolver.hpp"
#include "relay/client_stream.hpp"
#include "relay/domain_delivery.hpp"
#include "relay/mta_sts_cache.hpp"
#include "relay/next_hop.hpp"

namespace hikyaku::app {
namespace {

asio::awaitable<int> explain(dns::Resolver& resolver, std::string domain,
                             const relay::DomainDeliveryOptions& options) {
  const dns::DnsAnswer mx = co_await resolver.query(domain, dns::RecordType::mx);
  fmt::print("domain: {}\n", domain);
  fmt::print("override: {}\n", relay::to_string(options.tls_override_for(domain)));
  if (mx.temporary_failure()) {
    fmt::print("mx: lookup failed: {}\n", dns::describe(mx));
    co_return 1;
  }
  std::vector<relay::MxRecord> records;
  for (const auto& r : mx.mx) records.push_back(relay::MxRecord{r.preference, r.exchange});
  std::mt19937_64 rng{std::random_device{}()};
  const relay::NextHops hops = relay::order_next_hops(domain, records, rng);
  if (hops.is_null_mx()) {
    fmt::print("mx: null MX (RFC 7505): the domain accepts no mail\n");
    co_return 1;
  }
  const size_t count = std::min(hops.hosts.size(), std::max<size_t>(options.max_mx_hosts, 1));
  const bool secure = mx.secure;
  fmt::print("mx: {}{}\n", hops.implicit_mx ? "none (implicit MX: the domain itself)" : "found",
             hops.implicit_mx ? (secure ? ", denial DNSSEC-signed" : ", denial not DNSSEC-signed")
                              : (secure ? ", DNSSEC-signed" : ", not DNSSEC-signed"));
  std::vector<std::string> hosts(hops.hosts.begin(), hops.hosts.begin() + count);
  const auto facts = co_await relay::gather_tls_facts(resolver, domain, secure, hops.implicit_mx, hosts,
                                                      options.tls_override_for(domain), options.mta_sts.get());
  const auto plan = relay::plan_tls(options.tls_override_for(domain), facts);
  if (facts.mta_sts) {
    std::string mxs;
    for (const auto& m : facts.mta_sts->mx) mxs += (mxs.empty() ? "" : " ") + m;
    fmt::print("mta-sts: mode {}, max_age {}s, mx {}\n", relay::to_string(facts.mta_sts->mode),
               facts.mta_sts->max_age.count(), mxs.empty() ? "-" : mxs);
  } else if (!facts.mta_sts_problem.empty()) {
    fmt::print("mta-sts: no policy: {}\n", facts.mta_sts_problem);
  }
  fmt::print("policy: {} ({})\n", relay::to_string(plan.policy_type), plan.why);
  for (const auto& h : plan.hosts) {
    fmt::print("host: {} {}: {}\n", h.host, h.use ? std::string(relay::to_string(h.level)) + (h.report_only ? " report-only" : "")
                                               : std::string("not used"), h.why);
    for (const auto& r : h.tlsa) fmt::print("  tlsa: {}\n", dns::to_string(r));
  }
  if (plan.defer) {
    fmt::print("result: deferred (4.7.5): {}\n", *plan.defer);
    co_return 1;
  }
  fmt::print("result: delivered as above\n");
  co_return 0;
}

}  // namespace

int tls_policy_command(const TlsPolicyCommandOptions& o) {
  auto loaded = config::load_file(o.config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  auto domain = core::domain_to_ascii(o.domain);
  if (!domain) {
    fmt::print(stderr, "tls-policy: not a domain: {}\n", o.domain);
    return 2;
  }
  asio::io_context io;
  auto unbound = dns::UnboundResolver::create(
      io.get_executor(), dns::UnboundOptions{loaded->dns.servers, loaded->dns.timeout, {}, loaded->dns.trust_anchor_file});
  if (!unbound) {
    fmt::print(stderr, "tls-policy: {}\n", unbound.error());
    return 2;
  }
  std::shared_ptr<dns::Resolver> resolver(std::move(*unbound));
  relay::DomainDeliveryOptions options;
  try {
    options = relay::DomainDeliveryOptions::from(*loaded, nullptr);
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "tls-policy: {}\n", e.what());
    return 2;
  }
  if (loaded->relay.mta_sts) {
    const auto fetch = relay::MtaStsFetchOptions::from(loaded->relay);
    auto tls = options.client.tls_context;
    dns::Resolver* r = resolver.get();
    // What the relay kept in its spool counts (read only: this command writes nothing there).
    auto store = std::make_shared<MtaStsSpoolStore>(loaded->queue.directory, nullptr,
                                                    loaded->relay.mta_sts_max_policy_size + 1024);
    options.mta_sts = std::make_shared<relay::MtaStsCache>(
        resolver,
        [r, tls, fetch](std::string d) { return relay::fetch_mta_sts_policy(*r, std::move(d), tls, fetch); },
        relay::MtaStsCache::Clock::now, std::move(store));
  }
  int code = 2;
  asio::co_spawn(io, explain(*resolver, *domain, options), [&code](std::exception_ptr e, int c) {
    if (!e) code = c;
  });
  io.run();
  options.mta_sts.reset();
  resolver.reset();  // before the io_context
  io.restart();
  io.run();
  return code;
}

}  // namespace hikyaku::app
