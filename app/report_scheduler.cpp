// ReportScheduler: a coroutine on the event loop that sleeps until the next UTC midnight plus a
// delay and sends each kind's finished days; the first run is at start, so a day missed while
// the relay was stopped is sent then.
#include "app/report_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace hikyaku::app {

namespace {
constexpr std::int64_t kFlushEvery = 60;  // seconds between fsyncs of the stores' last records
}  // namespace

ReportScheduler::ReportScheduler(asio::any_io_executor executor, std::chrono::seconds delay, Clock clock)
    : executor_(std::move(executor)), delay_(delay), clock_(std::move(clock)),
      timer_(std::make_shared<asio::steady_timer>(executor_)), stopped_(std::make_shared<bool>(false)) {}

ReportScheduler::~ReportScheduler() { stop(); }

void ReportScheduler::add(std::string kind, reports::DailyStore* store, SendDay send_day) {
  kinds_.push_back({std::move(kind), store, std::move(send_day)});
}

std::int64_t ReportScheduler::now() const {
  if (clock_) return clock_();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t ReportScheduler::seconds_until_next(std::int64_t now, std::chrono::seconds delay) {
  constexpr std::int64_t kDay = 86400;
  const std::int64_t midnight = now - ((now % kDay) + kDay) % kDay;
  std::int64_t next = midnight + delay.count();
  while (next <= now) next += kDay;
  return next - now;
}

void ReportScheduler::start() {
  if (kinds_.empty()) return;
  asio::co_spawn(executor_, loop(), log_failure("report scheduler"));
}

void ReportScheduler::stop() {
  if (stopped_) *stopped_ = true;
  if (timer_) timer_->cancel();
}

asio::awaitable<std::vector<std::string>> ReportScheduler::run_once(bool include_today) {
  std::vector<std::string> sent;
  if (running_) co_return sent;
  running_ = true;
  const std::string today = reports::utc_day(now());
  for (auto& kind : kinds_) {
    kind.store->flush();
    for (const auto& day : kind.store->days()) {
      if (day > today || (day == today && !include_today)) continue;
      bool ok = false;
      try {
        ok = co_await kind.send_day(day);
      } catch (const std::exception& e) {
        spdlog::error("reports: {} {}: {}", kind.name, day, e.what());
      }
      if (ok) {
        kind.store->remove_day(day);
        sent.push_back(kind.name + "/" + day);
        spdlog::info("reports: {} reports of {} sent", kind.name, day);
      } else {
        spdlog::warn("reports: {} reports of {} not all sent; kept for the next run", kind.name, day);
      }
    }
  }
  running_ = false;
  co_return sent;
}

asio::awaitable<std::uint64_t> ReportScheduler::send_now() {
  const auto sent = co_await run_once(true);
  co_return static_cast<std::uint64_t>(sent.size());
}

asio::awaitable<void> ReportScheduler::loop() {
  auto stopped = stopped_;
  auto timer = timer_;
  while (!*stopped) {
    co_await run_once();
    if (*stopped) break;
    const std::int64_t next = now() + seconds_until_next(now(), delay_);
    // Until then, the stores' batched records are synced every minute.
    while (!*stopped && now() < next) {
      timer->expires_after(std::chrono::seconds(std::min<std::int64_t>(next - now(), kFlushEvery)));
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (*stopped) break;
      for (auto& kind : kinds_) kind.store->flush();
    }
  }
}

}  // namespace hikyaku::app
