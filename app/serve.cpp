// `hikyaku serve`: loads the config, binds the listeners, runs the event loop on a thread per
// core, reloads on SIGHUP (a bad file keeps the old config), drains on SIGTERM/SIGINT.
#include "app/serve.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include "app/config_command.hpp"
#include "app/config_watcher.hpp"
#include "app/dmarc_report_recorder.hpp"
#include "app/dmarc_reports_wiring.hpp"
#include "app/logging.hpp"
#include "app/metrics_server.hpp"
#include "app/metrics_wiring.hpp"
#include "app/privileges.hpp"
#include "app/queue_delivery.hpp"
#include "app/report_scheduler.hpp"
#include "app/tls_report_recorder.hpp"
#include "app/tls_report_sender.hpp"
#include "app/runtime.hpp"
#include "app/service_notify.hpp"
#include "app/user_access.hpp"
#include "app/version.hpp"
#include "config/loader.hpp"
#include "queue/control_server.hpp"
#include "smtpd/server.hpp"

namespace hikyaku::app {

namespace {

queue::RunnerOptions queue_options(const config::Config& config) {
  queue::RunnerOptions o;
  o.directory = config.queue.directory;
  o.hostname = config.server.hostname;
  o.policy.first = std::chrono::duration_cast<std::chrono::seconds>(config.queue.retry_interval);
  o.policy.longest = std::chrono::duration_cast<std::chrono::seconds>(config.queue.max_retry_interval);
  o.policy.lifetime = std::chrono::duration_cast<std::chrono::seconds>(config.queue.max_lifetime);
  o.domain_concurrency = config.queue.destination_concurrency;
  return o;
}

// Stops the loop after `delay` (pooled upstreams' QUITs) and once the queue's spool rewrites
// under way on the workers have ended, waiting for those at most 10 s.
asio::awaitable<void> stop_after(asio::io_context& io, const queue::QueueRunner& runner,
                                 std::chrono::milliseconds delay) {
  asio::steady_timer timer(io);
  boost::system::error_code ec;
  if (delay.count() > 0) {
    timer.expires_after(delay);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  for (int i = 0; i < 200 && runner.writes_under_way() > 0; ++i) {
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  io.stop();
}

}  // namespace

int serve(const std::string& config_path) {
  auto loaded = config::load_file(config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  // What the service user could not use would fail later (the first message, the first reload).
  if (const auto problems = unusable_by_service_user(*loaded); !problems.empty()) {
    for (const auto& p : problems) fmt::print(stderr, "{}: {}\n", config_path, p);
    return 2;
  }
  auto config = std::make_shared<const config::Config>(std::move(*loaded));
  setup_logging(config->log);

  // One event-loop thread: sessions, the resolver's completions and upstream connections all
  // run here, so pooled upstream connections can move between sessions without locking.
  // Blocking library work (SPF, DKIM) goes to worker pools, never to this thread.
  asio::io_context io(1);
  relay::ConnectionPool pool;
  asio::thread_pool workers(2);
  // Spool writes (fsync) have threads of their own: a 250 that waits for its spool file must
  // not also wait behind DKIM verifications of large messages on `workers`. Two, so one slow
  // fsync does not hold every other write.
  asio::thread_pool spool_workers(2);
  smtpd::InflightBudget inflight;  // sessions hold it; it outlives the server (declared first)
  dkim::Signer signer;
  const auth::DkimVerifier dkim_verifier;
  // The durable queue ([queue]; its settings take effect at start, not on SIGHUP). It delivers
  // with the forwarding context in force, so a reload changes its DNS and relay settings too.
  Runtime* runtime_ptr = nullptr;
  auto queue_delivery = std::make_shared<RelayDelivery>(io.get_executor(), [&runtime_ptr] {
    return runtime_ptr ? runtime_ptr->forwarding() : nullptr;
  });
  // The queue's own spool I/O (the start-up scan, message reads, DSN writes, rewrites) runs on
  // one dedicated thread, so the event loop never waits on a disk and a session's spool write
  // never waits behind the queue's. Declared before the runner to outlive it.
  asio::thread_pool spool_writer(1);
  queue::QueueRunner queue_runner(io.get_executor(), queue_options(*config), queue_delivery,
                                  &spool_writer);
  // RFC 9990 DMARC aggregate reports: each evaluation recorded into the day's store (opened
  // below, once privileges are dropped and before any session runs; [reports] dmarc_reports of
  // the configuration in force decides per message), the days sent by the report scheduler.
  std::shared_ptr<reports::DailyStore> dmarc_store;
  auto dmarc_appends = std::make_shared<std::atomic<int>>(0);  // posted, not yet done
  // The append runs on the spool workers, not on the event loop: every fsync_batch-th record
  // fsyncs. The posted work holds the store, so it outlives serve()'s locals if it must.
  DmarcReportRecorder dmarc_recorder([&dmarc_store, &spool_workers, dmarc_appends](std::int64_t now,
                                                                                   std::string_view line) {
    if (!dmarc_store) return false;
    dmarc_appends->fetch_add(1);
    asio::post(spool_workers, [store = dmarc_store, now, owned = std::string(line), dmarc_appends] {
      const bool stored = store->append(now, owned);
      dmarc_appends->fetch_sub(1);
      if (stored) return;
      if (const std::uint64_t n = store->dropped(); n % 1000 == 1) {
        spdlog::warn("dmarc reports: a record dropped: the day's store is full ([reports] max_bytes_per_day; "
                     "{} dropped since start)", n);
      }
    });
    return true;
  });
  ReportScheduler report_scheduler(io.get_executor(),
                                   std::chrono::duration_cast<std::chrono::seconds>(config->reports.send_delay));
  // RFC 8460 ([reports] tls_reports, read at start like [queue]): sessions are counted into a
  // store under the spool, attached once privileges are dropped (the files are the service
  // user's).
  std::shared_ptr<TlsReportRecorder> tls_recorder;
  if (config->reports.tls_reports) tls_recorder = std::make_shared<TlsReportRecorder>(nullptr, &spool_workers);
  // While we still have root: the launcher that starts each SPF helper as its own user
  // (DESIGN §3), so no helper shares the service user's access to keys and spool.
  std::shared_ptr<auth::SpfLauncher> spf_launcher;
  if (const auto& path = config->auth.spf_launcher_socket; !path.empty()) {
    // Another service's launcher (deploy/systemd/hikyaku-spf.*): its helpers run as its user.
    spf_launcher = auth::SpfLauncher::connect(path);
    if (!spf_launcher) {
      spdlog::critical("cannot reach the SPF helper launcher at {}: {} (auth.spf_launcher_socket)", path,
                       std::strerror(errno));
      return 2;
    }
    spdlog::info("SPF helpers from the launcher at {}", path);
  } else if (geteuid() == 0) {
    spf_launcher = auth::SpfLauncher::start("/proc/self/exe", config->auth.spf_helper_user);
    if (!spf_launcher) {
      spdlog::critical("cannot start the SPF helper launcher");
      return 2;
    }
    spdlog::info("SPF helpers run as user {} (launcher pid {})", config->auth.spf_helper_user,
                 spf_launcher->pid());
  }
  const ProcessServices services{.pool = &pool,
                                 .signer = &signer,
                                 .workers = &workers,
                                 .spool_workers = &spool_workers,
                                 .dkim_verifier = &dkim_verifier,
                                 .spf_helpers = true,
                                 .spf_launcher = spf_launcher,
                                 .queue = &queue_runner,
                                 .dmarc_reports = &dmarc_recorder,
                                 .tls_reports = tls_recorder,
                                 .inflight = &inflight};
  std::shared_ptr<const ForwardingContext> forwarding;
  auto env = build_environment(config, io.get_executor(), services, &forwarding);
  if (!env) {
    fmt::print(stderr, "{}\n", env.error());
    return 2;
  }
  Runtime runtime(*env, io.get_executor(), services, forwarding);
  runtime_ptr = &runtime;
  asio::co_spawn(io, pool.run_sweeper(std::chrono::seconds(1)), log_failure("connection pool sweeper"));
  smtpd::Server server(io, [&runtime] { return runtime.current(); });
  try {
    server.listen(config->server.listen);
  } catch (const std::system_error& e) {
    spdlog::critical("{}", e.what());
    return 2;
  }
  // [metrics] listen: /metrics, /livez, /readyz (app/metrics_server, docs/metrics.md). Bound
  // before privileges are dropped; /readyz answers 503 until the spool is recovered.
  std::optional<MetricsServer> metrics_server;
  note_config_in_force(*config);
  if (!config->metrics.listen.empty()) {
    MetricsServerLimits limits;
    limits.read_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config->metrics.request_timeout);
    limits.max_header = config->metrics.max_request_header;
    metrics_server.emplace(io, serve_health_endpoints(runtime, server, queue_runner), limits);
    try {
      metrics_server->listen(config->metrics.listen);
    } catch (const std::system_error& e) {
      spdlog::critical("{}", e.what());
      return 2;
    }
  }
  if (!config->server.user.empty()) {
    if (auto why = drop_privileges(config->server.user); !why.empty()) {
      spdlog::critical("cannot switch to user {}: {}", config->server.user, why);
      return 2;
    }
    spdlog::info("running as user {}", config->server.user);
  } else if (geteuid() == 0) {
    spdlog::warn("running as root: set [server] user to drop privileges after binding");
  }
  // After dropping privileges, so the spool belongs to the service user. A spool that cannot be
  // read is logged, not fatal: mail that needs the queue then gets 452 4.3.1. The scan itself
  // runs on the spool writer; its entries are adopted when it ends.
  if (auto scanned = queue_runner.start(); !scanned) {
    // Another server owns this spool: two runners would deliver its entries twice, and this one
    // would take over the control socket. Stop before a connection is accepted.
    if (scanned.error().locked_elsewhere()) {
      spdlog::critical("queue: {}; not starting", scanned.error().message);
      return 2;
    }
    spdlog::error("queue: cannot use the spool: {}; mixed outcomes will get 452 4.3.1",
                  scanned.error().message);
  }
  // The daily reports ([reports]): stores under <spool>/reports/, sent after 00:00 UTC and at
  // start for days missed while stopped; `hikyaku tls-report --send` sends at once.
  std::shared_ptr<reports::DailyStore> tls_store;
  if (tls_recorder) {
    auto store = reports::DailyStore::open({config->queue.directory + "/reports/tls",
                                            config->reports.max_bytes_per_day, config->reports.fsync_batch});
    if (store) {
      tls_store = std::make_shared<reports::DailyStore>(std::move(*store));
      tls_recorder->attach(tls_store);
      report_scheduler.add("tls", tls_store.get(), [&runtime, &queue_runner, &spool_workers, tls_store](
                                                       const std::string& day) {
        TlsReportSendContext ctx;
        ctx.config = runtime.current() ? runtime.current()->config : nullptr;
        if (auto fwd = runtime.forwarding()) {
          ctx.resolver = fwd->resolver;
          ctx.tls = fwd->delivery.client.tls_context;
          ctx.queue = ReportQueueContext{fwd->signer, fwd->dkim_keys, &queue_runner, &spool_workers};
        }
        return send_tls_reports(std::move(ctx), *tls_store, day);
      });
    } else {
      spdlog::error("reports: {}; TLS reports are off", store.error());
    }
  }
  if (auto store = open_dmarc_store(*config); store) {
    dmarc_store = std::move(*store);
    // The day's reports are made with the configuration and forwarding context in force.
    report_scheduler.add("dmarc", dmarc_store.get(),
                         [&runtime, &signer, &queue_runner, &spool_workers, store = dmarc_store.get()](
                             const std::string& day) {
                           const auto forwarding = runtime.forwarding();
                           const auto env = runtime.current();
                           const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                                        std::chrono::system_clock::now().time_since_epoch())
                                                        .count();
                           return send_dmarc_day(*store, forwarding ? forwarding->resolver : nullptr,
                                                 env ? env->config : nullptr,
                                                 ReportQueueContext{&signer, forwarding ? forwarding->dkim_keys : nullptr,
                                                                    &queue_runner, &spool_workers},
                                                 day, now);
                         });
  } else {
    spdlog::error("dmarc reports: {}; no DMARC evaluation is recorded", store.error());
  }
  queue::ControlServer control(io.get_executor(), queue_runner);
  control.on_send_reports([&report_scheduler] { return report_scheduler.send_now(); });
  if (auto why = control.listen(config->queue.control_socket_path()); !why.empty()) {
    spdlog::error("queue: {}; `hikyaku queue` will read the spool directly", why);
  }
  report_scheduler.start();
  spdlog::info("hikyaku {} started: {} domain(s), STARTTLS {}", kVersion, config->domains.size(),
               config->server.tls ? "on" : "off");
  for (const auto& line : domain_summaries(*config)) spdlog::info("{}", line);
  for (const auto& w : config->warnings) spdlog::warn("{}", w);
  // systemd readiness (Type=notify): listeners are bound; ready once the spool scan has ended.
  ServiceNotifier service(io);
  service.ready_when([&queue_runner] { return queue_runner.scan_ended(); },
                     fmt::format("accepting mail on {} listener(s)", config->server.listen.size()));

  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  // [server] reload_on_change: a changed file is reloaded through the SIGHUP handler below.
  std::optional<ConfigWatcher> watcher;
  if (config->server.reload_on_change) watcher.emplace(io.get_executor(), config_path, config->server.reload_quiet);
  std::function<void(boost::system::error_code, int)> on_signal;
  bool stopping = false;
  on_signal = [&](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", config_path);
      service.reloading();
      service.reloaded(runtime.reload(config_path));
      signals.async_wait(on_signal);
      return;
    }
    if (stopping) {
      spdlog::info("second stop signal: exiting now");
      io.stop();
      return;
    }
    stopping = true;
    service.stopping();
    const auto grace = runtime.current()->config->server.shutdown_grace;
    spdlog::info("{}: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    server.shutdown(grace, [&io, &pool, &runtime, &queue_runner, &control, &report_scheduler, &dmarc_store] {
      spdlog::info("all sessions ended; exiting");
      report_scheduler.stop();
      if (dmarc_store) dmarc_store->flush();
      queue_runner.stop();
      control.stop();
      const bool idle_upstreams = pool.size() > 0;
      pool.stop();
      runtime.clear();
      // Let the QUITs to pooled upstreams go out, but do not wait on them for long; the spool
      // rewrites under way finish first.
      const std::chrono::milliseconds delay(idle_upstreams ? 1000 : 0);
      asio::co_spawn(io, stop_after(io, queue_runner, delay), log_failure("stop"));
    });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  io.run();
  report_scheduler.stop();
  // The DMARC records still being appended on the spool workers go in before the last fsync
  // (each append is a write(2); 5 s is far more than they take).
  for (int i = 0; i < 500 && dmarc_appends->load() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (tls_store) tls_store->flush();
  if (dmarc_store) dmarc_store->flush();
  queue_runner.stop();
  control.stop();
  runtime.clear();
  return 0;
}

}  // namespace hikyaku::app
