// Runtime: the configuration snapshot in force, rebuilt on SIGHUP; a bad file keeps the old one.
#include "app/runtime.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/config_command.hpp"
#include "app/forwarding_sink.hpp"
#include "app/logging.hpp"
#include "app/metrics_wiring.hpp"
#include "app/mta_sts_spool_store.hpp"
#include "app/version.hpp"
#include "config/loader.hpp"
#include "dns/caching_resolver.hpp"
#include "dns/unbound_resolver.hpp"
#include "relay/mta_sts_cache.hpp"
#include "metrics/catalog.hpp"

namespace hikyaku::app {

namespace {

// One MTA-STS policy fetch with the configuration's resolver, while it lives (all by value:
// the coroutine outlives the call that started it).
asio::awaitable<core::Expected<std::string, relay::MtaStsFetchError>> fetch_policy(
    std::weak_ptr<dns::Resolver> weak_resolver, std::shared_ptr<asio::ssl::context> tls,
    relay::MtaStsFetchOptions options, std::string domain) {
  auto resolver = weak_resolver.lock();
  if (!resolver) {
    co_return core::unexpected(relay::MtaStsFetchError{"sts-policy-fetch-error", "the configuration was replaced"});
  }
  co_return co_await relay::fetch_mta_sts_policy(*resolver, std::move(domain), std::move(tls), options);
}

}  // namespace

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
  auto reply = routing::ReplyRouting::from(*config);
  auto router = std::make_shared<const routing::Router>(config->domains, srs, config->server.postmaster, reply);
  auto unbound = dns::UnboundResolver::create(
      executor, dns::UnboundOptions{config->dns.servers, config->dns.timeout, {}, config->dns.trust_anchor_file});
  if (!unbound) return core::unexpected(config->source_path + ": [dns]: " + unbound.error());
  auto forwarding = std::make_shared<ForwardingContext>();
  dns::CacheOptions cache;
  cache.max_entries = config->dns.cache_entries;
  forwarding->resolver = std::make_shared<dns::CachingResolver>(
      std::shared_ptr<dns::Resolver>(std::move(*unbound)), cache);
  try {
    forwarding->delivery = relay::DomainDeliveryOptions::from(*config, services.pool);
  } catch (const std::runtime_error& e) {  // the client TLS context: [relay] tls_ca_file
    return core::unexpected(config->source_path + ": " + e.what());
  }
  if (config->relay.mta_sts) {
    // RFC 8461: policies fetched over the relay's own client TLS context (trust store and
    // tls_ca_file), names resolved by the relay's resolver.
    const auto fetch = relay::MtaStsFetchOptions::from(config->relay);
    std::weak_ptr<dns::Resolver> weak_resolver = forwarding->resolver;
    auto tls = forwarding->delivery.client.tls_context;
    // §5.1: the policies fetched before a restart hold until they expire (<spool>/mta-sts).
    auto* writer = services.spool_workers ? services.spool_workers : services.workers;
    auto store = std::make_shared<MtaStsSpoolStore>(config->queue.directory, writer,
                                                    config->relay.mta_sts_max_policy_size + 1024);
    forwarding->delivery.mta_sts = std::make_shared<relay::MtaStsCache>(
        forwarding->resolver,
        [weak_resolver, tls, fetch](std::string domain) {
          return fetch_policy(weak_resolver, tls, fetch, std::move(domain));
        },
        relay::MtaStsCache::Clock::now, std::move(store));
  }
  forwarding->srs = srs;
  forwarding->reply = reply;
  if (srs) {
    forwarding->srs_throttle = std::make_shared<SrsReversalThrottle>(
        config->srs.max_failed_reversals,
        std::chrono::duration_cast<SrsReversalThrottle::Clock::duration>(config->srs.failed_reversal_window));
  }
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
  forwarding->dmarc_reports = services.dmarc_reports;
  if (config->reports.tls_reports) forwarding->tls_reports = services.tls_reports;
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

namespace {

// The settings of `file` that differ from those the process was started with and that only a
// restart applies (the server binds, drops privileges and starts the queue runner once).
std::vector<std::string> restart_only_changes(const config::Config& running, const config::Config& file,
                                              bool spf_launcher) {
  std::vector<std::string> out;
  auto address_list = [](const config::Config& c) {
    std::string text;
    for (const auto& l : c.server.listen) text += l.text() + (l.proxy ? "(proxy) " : " ");
    return text;
  };
  if (address_list(running) != address_list(file)) out.push_back("server.listen/proxy_listen");
  if (running.server.user != file.server.user) out.push_back("server.user");
  // The launcher was started with root privileges, which are gone.
  if (spf_launcher && running.auth.spf_helper_user != file.auth.spf_helper_user) out.push_back("auth.spf_helper_user");
  if (running.auth.spf_launcher_socket != file.auth.spf_launcher_socket) out.push_back("auth.spf_launcher_socket");
  const auto& was = running.queue;
  const auto& now = file.queue;
  if (was.directory != now.directory) out.push_back("queue.directory");
  if (was.retry_interval != now.retry_interval) out.push_back("queue.retry_interval");
  if (was.max_retry_interval != now.max_retry_interval) out.push_back("queue.max_retry_interval");
  if (was.max_lifetime != now.max_lifetime) out.push_back("queue.max_lifetime");
  if (was.destination_concurrency != now.destination_concurrency) out.push_back("queue.destination_concurrency");
  if (was.control_socket != now.control_socket) out.push_back("queue.control_socket");
  if (running.metrics.listen != file.metrics.listen) out.push_back("metrics.listen");
  if (running.metrics.request_timeout != file.metrics.request_timeout) out.push_back("metrics.request_timeout");
  if (running.metrics.max_request_header != file.metrics.max_request_header) out.push_back("metrics.max_request_header");
  if (running.server.reload_quiet != file.server.reload_quiet) out.push_back("server.reload_quiet");
  if (running.server.reload_on_change != file.server.reload_on_change) out.push_back("server.reload_on_change");
  if (running.log.format != file.log.format) out.push_back("log.format");
  if (running.log.target != file.log.target) out.push_back("log.target");
  // The report stores and their schedule are set up at start (the sender and names are not).
  const auto& rw = running.reports;
  const auto& rf = file.reports;
  if (!rw.tls_reports && rf.tls_reports) out.push_back("reports.tls_reports");
  if (rw.max_bytes_per_day != rf.max_bytes_per_day) out.push_back("reports.max_bytes_per_day");
  if (rw.fsync_batch != rf.fsync_batch) out.push_back("reports.fsync_batch");
  if (rw.send_delay != rf.send_delay) out.push_back("reports.send_delay");
  return out;
}

}  // namespace

bool Runtime::reload(const std::string& path) {
  auto loaded = config::load_file(path);
  if (!loaded) {
    spdlog::error("reload of {} failed; keeping the configuration in force:", path);
    for (const auto& e : loaded.error()) spdlog::error("  {}", e.text());
    metrics::process().config_reloads.with({"failure"}).inc();
    metrics::process().config_last_reload_ok.with({}).set(0);
    return false;
  }
  auto config = std::make_shared<const config::Config>(std::move(*loaded));
  std::shared_ptr<const ForwardingContext> forwarding;
  auto env = build_environment(config, executor_, services_, &forwarding);
  if (!env) {
    spdlog::error("reload of {} failed; keeping the configuration in force: {}", path, env.error());
    metrics::process().config_reloads.with({"failure"}).inc();
    metrics::process().config_last_reload_ok.with({}).set(0);
    return false;
  }
  for (const auto& setting : restart_only_changes(*started_, *config, services_.spf_launcher != nullptr)) {
    spdlog::warn("reload: {} differs from the running value; it takes effect at the next restart", setting);
  }
  if (current()->config->log.level != config->log.level) {
    set_log_level(config->log.level, true);
  }
  current_.store(*env);
  forwarding_.store(forwarding);
  metrics::process().config_reloads.with({"success"}).inc();
  metrics::process().config_last_reload_ok.with({}).set(1);
  note_config_in_force(*config);
  spdlog::info("hikyaku {} reloaded {}: {} domain(s)", kVersion, path, config->domains.size());
  for (const auto& line : domain_summaries(*config)) spdlog::info("{}", line);
  for (const auto& w : config->warnings) spdlog::warn("{}", w);
  return true;
}

}  // namespace hikyaku::app
