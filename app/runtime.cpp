// Runtime: the configuration snapshot in force, rebuilt on SIGHUP; a bad file keeps the old one.
#include "app/runtime.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/forwarding_sink.hpp"
#include "config/loader.hpp"
#include "dns/caching_resolver.hpp"
#include "dns/unbound_resolver.hpp"

namespace hikyaku::app {

core::Expected<std::shared_ptr<const smtpd::SessionEnvironment>, std::string> build_environment(
    std::shared_ptr<const config::Config> config, asio::any_io_executor executor,
    const ProcessServices& services, std::shared_ptr<const ForwardingContext>* forwarding_out) {
  auto env = std::make_shared<smtpd::SessionEnvironment>();
  env->config = config;
  if (config->server.tls) {
    auto tls = smtpd::make_server_tls(*config->server.tls);
    if (!tls) return core::unexpected(config->source_path + ": [server.tls]: " + tls.error());
    env->tls = *tls;
  }
  auto srs = routing::SrsRouting::from(config->srs);
  auto router = std::make_shared<const routing::Router>(config->domains, srs);
  auto unbound = dns::UnboundResolver::create(
      executor, dns::UnboundOptions{config->dns.servers, config->dns.timeout, {}});
  if (!unbound) return core::unexpected(config->source_path + ": [dns]: " + unbound.error());
  auto forwarding = std::make_shared<ForwardingContext>();
  dns::CacheOptions cache;
  cache.max_entries = config->dns.cache_entries;
  forwarding->resolver = std::make_shared<dns::CachingResolver>(
      std::shared_ptr<dns::Resolver>(std::move(*unbound)), cache);
  forwarding->delivery = relay::DomainDeliveryOptions::from(*config, services.pool);
  forwarding->srs = srs;
  // Every bad key, each as FILE:LINE: message like the loader's errors.
  std::vector<dkim::SigningKey> keys;
  std::string key_errors;
  for (const auto& entry : config->dkim_keys) {
    auto key = dkim::load_signing_key(entry);
    if (key) {
      keys.push_back(std::move(*key));
    } else {
      key_errors += fmt::format("{}{}:{}: dkim.key: {}", key_errors.empty() ? "" : "\n",
                                config->source_path, entry.line, key.error());
    }
  }
  if (!key_errors.empty()) return core::unexpected(key_errors);
  forwarding->dkim_keys = std::make_shared<const dkim::KeyStore>(std::move(keys));
  forwarding->signer = services.signer;
  auto arc = ArcSealer::from(*config);
  if (!arc) return core::unexpected(arc.error());
  forwarding->arc = std::move(*arc);
  forwarding->workers = services.workers;
  forwarding->spool_workers = services.spool_workers ? services.spool_workers : services.workers;
  forwarding->dkim_verifier = services.dkim_verifier;
  if (services.spf_helpers) {
    auth::SpfHelperPoolOptions spf;
    spf.pool_size = static_cast<size_t>(config->auth.spf_helpers);
    spf.check_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config->auth.spf_timeout);
    spf.rec_dom = config->server.hostname;
    spf.helper_argv = {"/proc/self/exe", "spf-helper", config->auth.spf_helper_user};
    spf.launcher = services.spf_launcher;
    spf.per_client_limit = config->auth.spf_per_client;
    spf.queue_limit = config->auth.spf_queue_limit;
    spf.prestart = false;  // started by the first check, after privileges are dropped
    forwarding->spf = std::make_shared<auth::SpfHelperPool>(executor, forwarding->resolver, spf);
  }
  forwarding->queue = services.queue;
  if (forwarding_out) *forwarding_out = forwarding;
  env->make_sink = [config, router, forwarding = std::shared_ptr<const ForwardingContext>(forwarding)]()
      -> std::unique_ptr<smtpd::MessageSink> {
    return std::make_unique<ForwardingSink>(config, router, forwarding);
  };
  if (services.inflight) {
    services.inflight->set_limit(config->server.max_inflight_bytes);
    env->inflight = services.inflight;
  }
  return std::shared_ptr<const smtpd::SessionEnvironment>(std::move(env));
}

bool Runtime::reload(const std::string& path) {
  auto loaded = config::load_file(path);
  if (!loaded) {
    spdlog::error("reload of {} failed; keeping the configuration in force:", path);
    for (const auto& e : loaded.error()) spdlog::error("  {}", e.text());
    return false;
  }
  auto config = std::make_shared<const config::Config>(std::move(*loaded));
  std::shared_ptr<const ForwardingContext> forwarding;
  auto env = build_environment(config, executor_, services_, &forwarding);
  if (!env) {
    spdlog::error("reload of {} failed; keeping the configuration in force: {}", path, env.error());
    return false;
  }
  const auto old = current();
  auto address_list = [](const config::Config& c) {
    std::string out;
    for (const auto& l : c.server.listen) out += l.text() + (l.proxy ? "(proxy) " : " ");
    return out;
  };
  if (address_list(*old->config) != address_list(*config)) {
    spdlog::warn("reload: listen addresses changed; they take effect at the next restart");
  }
  if (old->config->auth.spf_helper_user != config->auth.spf_helper_user && services_.spf_launcher) {
    spdlog::warn("reload: auth.spf_helper_user changed; it takes effect at the next restart "
                 "(the helper launcher was started with root privileges, which are gone)");
  }
  // The queue runner is built once, at start (session_budget is read per message and applies).
  const auto& was = old->config->queue;
  const auto& now = config->queue;
  if (was.directory != now.directory || was.retry_interval != now.retry_interval ||
      was.max_retry_interval != now.max_retry_interval || was.max_lifetime != now.max_lifetime ||
      was.destination_concurrency != now.destination_concurrency || was.control_socket != now.control_socket) {
    spdlog::warn("reload: [queue] settings changed; they take effect at the next restart "
                 "(session_budget, min_free_space and min_free_inodes apply now)");
  }
  current_.store(*env);
  forwarding_.store(forwarding);
  spdlog::info("reloaded {}: {} domain(s)", path, config->domains.size());
  return true;
}

}  // namespace hikyaku::app
