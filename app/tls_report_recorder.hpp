// Counting TLS sessions for RFC 8460 reports: each delivery to a destination domain gives one
// record per new connection's TLS result and per failure before any connection (RFC 8460 §4.3),
// stored for the day (reports/daily_store) when the domain publishes a usable _smtp._tls record
// (§3: "v=TLSRPTv1; rua=..."), looked up through the relay's resolver and cached an hour.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "dns/resolver.hpp"
#include "relay/domain_delivery.hpp"
#include "relay/tls_rpt_record.hpp"
#include "reports/daily_store.hpp"
#include "reports/tls_report.hpp"

namespace hikyaku::app {

// The records one delivery outcome gives (pure): sessions under the plan's policy, policy
// failures under theirs.
std::vector<reports::TlsRecord> tls_records_of(const relay::DomainOutcome& outcome);

class TlsReportRecorder : public std::enable_shared_from_this<TlsReportRecorder> {
 public:
  using Clock = std::function<std::int64_t()>;
  // `writer`: where appends (and their batched fsyncs) run; null: on the caller's thread. The
  // store may be attached later (after the process has dropped its privileges); until then
  // nothing is recorded.
  TlsReportRecorder(std::shared_ptr<reports::DailyStore> store, asio::thread_pool* writer = nullptr,
                    Clock clock = {});
  void attach(std::shared_ptr<reports::DailyStore> store) { store_ = std::move(store); }

  // Records `outcome` in the background (the rua lookup and the append); never throws. The
  // recorder must be owned by a shared_ptr.
  void observe(asio::any_io_executor executor, std::shared_ptr<dns::Resolver> resolver,
               const relay::DomainOutcome& outcome);
  // The same, awaited (tests and the queue's own coroutine).
  asio::awaitable<void> record(std::shared_ptr<dns::Resolver> resolver, std::vector<reports::TlsRecord> records);

  // Does `domain` publish a usable TLS-RPT record? Cached for an hour (answers and failures).
  asio::awaitable<bool> wants_reports(dns::Resolver& resolver, const std::string& domain);

  std::uint64_t recorded() const { return recorded_; }

 private:
  std::int64_t now() const;

  std::shared_ptr<reports::DailyStore> store_;
  asio::thread_pool* writer_;
  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, std::pair<bool, std::int64_t>> cache_;  // domain -> (wants, expires)
  std::uint64_t recorded_ = 0;
};

// The usable rua of `domain`'s _smtp._tls record (RFC 8460 §3), empty when none.
asio::awaitable<std::vector<relay::ReportDestination>> lookup_tls_rua(dns::Resolver& resolver,
                                                                     const std::string& domain);

}  // namespace hikyaku::app
