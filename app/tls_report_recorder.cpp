// TlsReportRecorder: the outcome turned into records at once (no reference to it is kept), the
// _smtp._tls lookup and the store append in a detached coroutine, the append on the writer pool.
#include "app/tls_report_recorder.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "core/run_on_workers.hpp"
#include "relay/tls_rpt_record.hpp"

namespace hikyaku::app {

namespace {

constexpr std::int64_t kCacheSeconds = 3600;
constexpr std::size_t kMaxCached = 10000;

// Keeps the recorder alive while a record is under way (the configuration may be reloaded).
asio::awaitable<void> record_owned(std::shared_ptr<TlsReportRecorder> self,
                                   std::shared_ptr<dns::Resolver> resolver,
                                   std::vector<reports::TlsRecord> records) {
  co_await self->record(std::move(resolver), std::move(records));
}

}  // namespace

std::vector<reports::TlsRecord> tls_records_of(const relay::DomainOutcome& outcome) {
  std::vector<reports::TlsRecord> out;
  const auto& plan = outcome.tls_plan;
  const std::string type(relay::to_string(plan.policy_type));
  for (const auto& s : outcome.tls_sessions) {
    reports::TlsRecord r;
    r.policy_domain = outcome.domain;
    r.policy_type = type;
    r.policy_strings = plan.policy_strings;
    r.mx_hosts = plan.mx_patterns;
    if (!s.success) {
      // A failure whose type the check could not name is a validation failure (§4.3.1).
      r.result_type = reports::is_tls_result_type(s.result_type) ? s.result_type : "validation-failure";
      r.sending_ip = s.sending_ip;
      r.receiving_mx = s.mx_host;
      r.receiving_ip = s.receiving_ip;
      r.reason = s.detail;
    }
    out.push_back(std::move(r));
  }
  for (const auto& f : plan.policy_failures) {
    reports::TlsRecord r;
    r.policy_domain = outcome.domain;
    r.policy_type = std::string(relay::to_string(f.type));
    if (f.type == plan.policy_type) {
      r.policy_strings = plan.policy_strings;
      r.mx_hosts = plan.mx_patterns;
    }
    r.result_type = reports::is_tls_result_type(f.result_type) ? f.result_type : "validation-failure";
    r.receiving_mx = f.host;
    r.reason = f.detail;
    out.push_back(std::move(r));
  }
  for (auto& r : out) {
    if (r.reason.size() > reports::kMaxTlsField) r.reason.resize(reports::kMaxTlsField);
  }
  return out;
}

asio::awaitable<std::vector<relay::ReportDestination>> lookup_tls_rua(dns::Resolver& resolver,
                                                                     const std::string& domain) {
  std::string name = "_smtp._tls." + domain;
  const dns::DnsAnswer txt = co_await resolver.query(std::move(name), dns::RecordType::txt);
  std::vector<relay::ReportDestination> out;
  if (!txt.ok()) co_return out;
  if (auto record = relay::select_tls_rpt_record(txt.texts)) out = std::move(record->rua);
  co_return out;
}

TlsReportRecorder::TlsReportRecorder(std::shared_ptr<reports::DailyStore> store, asio::thread_pool* writer,
                                     Clock clock)
    : store_(std::move(store)), writer_(writer), clock_(std::move(clock)) {}

std::int64_t TlsReportRecorder::now() const {
  if (clock_) return clock_();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

asio::awaitable<bool> TlsReportRecorder::wants_reports(dns::Resolver& resolver, const std::string& domain) {
  const std::int64_t t = now();
  {
    std::lock_guard lock(mutex_);
    const auto it = cache_.find(domain);
    if (it != cache_.end() && it->second.second > t) co_return it->second.first;
  }
  const auto rua = co_await lookup_tls_rua(resolver, domain);
  const bool wants = !rua.empty();
  if (!wants) spdlog::debug("tls-report: {} publishes no usable TLS-RPT record; not recorded", domain);
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[domain] = {wants, t + kCacheSeconds};
  co_return wants;
}

asio::awaitable<void> TlsReportRecorder::record(std::shared_ptr<dns::Resolver> resolver,
                                                std::vector<reports::TlsRecord> records) {
  if (records.empty() || !resolver || !store_) co_return;
  const std::string domain = records.front().policy_domain;
  const bool wants = co_await wants_reports(*resolver, domain);
  if (!wants) co_return;
  std::vector<std::string> lines;
  for (const auto& r : records) lines.push_back(reports::encode_tls_record(r));
  const std::int64_t t = now();
  auto store = store_;
  auto append = [store, lines = std::move(lines), t] {
    std::size_t dropped = 0;
    for (const auto& l : lines) {
      if (!store->append(t, l)) ++dropped;
    }
    return dropped;
  };
  std::size_t dropped = 0;
  if (writer_) {
    dropped = co_await run_on_workers<std::size_t>(*writer_, std::move(append));
  } else {
    dropped = append();
  }
  recorded_ += records.size() - dropped;
  spdlog::debug("tls-report: {} record(s) for {}", records.size() - dropped, domain);
  if (dropped > 0) {
    spdlog::warn("tls-report: {} record(s) for {} dropped (reports.max_bytes_per_day reached or the store "
                 "cannot be written)", dropped, domain);
  }
}

void TlsReportRecorder::observe(asio::any_io_executor executor, std::shared_ptr<dns::Resolver> resolver,
                                const relay::DomainOutcome& outcome) {
  auto records = tls_records_of(outcome);
  if (records.empty()) return;
  asio::co_spawn(executor, record_owned(shared_from_this(), std::move(resolver), std::move(records)),
                 log_failure("tls-report record"));
}

}  // namespace hikyaku::app
