// The configuration in force and what is built from it (router, TLS context, resolver, sink
// factory). SIGHUP swaps in a new one; sessions in progress keep the one they started with.
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "auth/dkim_verify.hpp"
#include "auth/spf_launcher.hpp"
#include "config/config.hpp"
#include "core/expected.hpp"
#include "dkim/signer.hpp"
#include "queue/queue_runner.hpp"
#include "relay/connection_pool.hpp"
#include "routing/router.hpp"
#include "smtpd/server.hpp"

namespace hikyaku::app {

class DmarcReportRecorder;
class TlsReportRecorder;

// What outlives every configuration: the upstream connection pool, the DKIM library and the
// worker threads for CPU-heavy library calls. Any may be null (`hikyaku check` has none).
struct ProcessServices {
  relay::ConnectionPool* pool = nullptr;
  const dkim::Signer* signer = nullptr;
  asio::thread_pool* workers = nullptr;
  asio::thread_pool* spool_workers = nullptr;  // spool writes (fsync); null: on `workers`
  const auth::DkimVerifier* dkim_verifier = nullptr;
  // Start SPF helper processes for each configuration (not for `hikyaku check`).
  bool spf_helpers = false;
  // Started while the process had root: SPF helpers then run as [auth] spf_helper_user.
  std::shared_ptr<auth::SpfLauncher> spf_launcher;
  queue::QueueRunner* queue = nullptr;  // the durable queue (serve only)
  DmarcReportRecorder* dmarc_reports = nullptr;  // DMARC aggregate report records (serve only)
  // RFC 8460 session counting ([reports] tls_reports at start; serve only); null: off.
  std::shared_ptr<TlsReportRecorder> tls_reports;
  // The budget of message bytes in memory, across reloads; its limit follows the config in force.
  smtpd::InflightBudget* inflight = nullptr;
};

struct ForwardingContext;

// Builds a session environment from a loaded config: the router, the TLS context, the DKIM
// keys, the DNS resolver (on `executor`) and the forwarding sink.
core::Expected<std::shared_ptr<const smtpd::SessionEnvironment>, std::string> build_environment(
    std::shared_ptr<const config::Config> config, asio::any_io_executor executor,
    const ProcessServices& services,
    std::shared_ptr<const ForwardingContext>* forwarding_out = nullptr);

class Runtime {
 public:
  Runtime(std::shared_ptr<const smtpd::SessionEnvironment> initial, asio::any_io_executor executor,
          ProcessServices services, std::shared_ptr<const ForwardingContext> forwarding = nullptr)
      : started_(initial->config), current_(std::move(initial)), forwarding_(std::move(forwarding)),
        executor_(std::move(executor)), services_(services) {}
  std::shared_ptr<const smtpd::SessionEnvironment> current() const { return current_.load(); }
  // Loads `path` again. On any error the old configuration stays and the reasons are logged.
  bool reload(const std::string& path);
  // Drops the configuration (and its resolver) before the event loop goes away.
  void clear() {
    current_.store(nullptr);
    forwarding_.store(nullptr);
  }
  // The forwarding context in force (the queue delivers with it).
  std::shared_ptr<const ForwardingContext> forwarding() const { return forwarding_.load(); }

 private:
  // The configuration the process started with: listeners, user, spool and queue runner, SPF
  // launcher and metrics listener were made from it and stay until a restart, whatever the
  // file says since (a reload's "takes effect at the next restart" compares against it).
  std::shared_ptr<const config::Config> started_;
  std::atomic<std::shared_ptr<const smtpd::SessionEnvironment>> current_;
  std::atomic<std::shared_ptr<const ForwardingContext>> forwarding_;
  asio::any_io_executor executor_;
  ProcessServices services_;
};

}  // namespace hikyaku::app
