// Sends the daily aggregate reports (RFC 8460 §4.1: one report per 24-hour UTC day; RFC 9990
// likewise): at start-up, and once a day shortly after 00:00 UTC, each registered kind's days
// older than today are handed to its "send day" callback, and a day sent is removed from its
// store. A day whose callback fails stays for the next run.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "reports/daily_store.hpp"

namespace hikyaku::app {

class ReportScheduler {
 public:
  // True when the day's reports are all handed over (queued or posted): the day is removed.
  using SendDay = std::function<asio::awaitable<bool>(const std::string& day)>;
  using Clock = std::function<std::int64_t()>;  // Unix seconds

  // `delay`: how long after 00:00 UTC the daily run starts (records of the last seconds of the
  // day written, peers' clocks not quite ours).
  ReportScheduler(asio::any_io_executor executor, std::chrono::seconds delay, Clock clock = {});
  ~ReportScheduler();

  // `store` must outlive the scheduler.
  void add(std::string kind, reports::DailyStore* store, SendDay send_day);
  // Runs the days due now, then every day at 00:00 UTC + delay, until stop(); the stores are
  // flushed (fsync) every minute in between.
  void start();
  void stop();

  // One run: every stored day before `today` (or up to and including it when include_today) of
  // every kind is sent; the days removed are returned as "kind/day".
  asio::awaitable<std::vector<std::string>> run_once(bool include_today = false);

  // run_once(true), for the control socket's REPORTS: how many days were sent.
  asio::awaitable<std::uint64_t> send_now();

  // Seconds from `now` until the next run (00:00 UTC of the next day + delay).
  static std::int64_t seconds_until_next(std::int64_t now, std::chrono::seconds delay);

 private:
  struct Kind {
    std::string name;
    reports::DailyStore* store;
    SendDay send_day;
  };
  asio::awaitable<void> loop();
  std::int64_t now() const;

  asio::any_io_executor executor_;
  std::chrono::seconds delay_;
  Clock clock_;
  std::vector<Kind> kinds_;
  std::shared_ptr<asio::steady_timer> timer_;
  std::shared_ptr<bool> stopped_;
  bool running_ = false;  // a run is under way: a second one waits for the next turn
};

}  // namespace hikyaku::app
