// sd_notify(3) for `hikyaku serve`: readiness, reload, stop and watchdog notifications to the
// service manager (systemd.service(5) Type=notify, WatchdogSec=).
#include "app/service_notify.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace hikyaku::app {

namespace {
void notify(const std::string& state) {
  // 0: NOTIFY_SOCKET unset; < 0: the manager went away. Neither stops the relay.
  if (const int r = sd_notify(0, state.c_str()); r < 0) {
    spdlog::warn("sd_notify: {}", std::string(std::strerror(-r)));
  }
}

uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}
}  // namespace

std::string reloading_state(uint64_t monotonic_usec) {
  return fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration", monotonic_usec);
}

std::chrono::microseconds watchdog_period(uint64_t usec) {
  return std::chrono::microseconds(std::max<uint64_t>(usec / 2, 10000));
}

ServiceNotifier::ServiceNotifier(boost::asio::io_context& io)
    : io_(io), ready_timer_(io), watchdog_timer_(io) {}

void ServiceNotifier::ready_when(std::function<bool()> ready, std::string status) {
  ready_ = std::move(ready);
  status_ = std::move(status);
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_period_ = watchdog_period(usec);
    spdlog::info("watchdog: pinging the service manager every {} ms", watchdog_period_.count() / 1000);
    ping();
  }
  // From the running loop, never from here: the signal handlers are installed after this call,
  // and a manager that sends SIGTERM right after READY=1 must find them.
  boost::asio::post(io_, [this] { poll_ready(); });
}

void ServiceNotifier::poll_ready() {
  if (stopping_) return;
  if (ready_()) {
    ready_sent_ = true;
    notify("READY=1\nSTATUS=" + status_);
    return;
  }
  ready_timer_.expires_after(std::chrono::milliseconds(20));
  ready_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) poll_ready();
  });
}

// From the event loop itself: a loop that hangs stops the pings, and the manager restarts us.
void ServiceNotifier::ping() {
  notify("WATCHDOG=1");
  watchdog_timer_.expires_after(watchdog_period_);
  watchdog_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) ping();
  });
}

void ServiceNotifier::reloading() {
  if (ready_sent_) notify(reloading_state(monotonic_usec()));
}

// Before the first READY=1 a reload does not make us ready: poll_ready still decides.
void ServiceNotifier::reloaded(bool ok) {
  if (!ready_sent_) return;
  notify(ok ? "READY=1\nSTATUS=" + status_ : "READY=1\nSTATUS=reload failed; the previous configuration stays in force");
}

// The watchdog keeps pinging through the drain (the manager's TimeoutStopSec bounds it).
void ServiceNotifier::stopping() {
  stopping_ = true;
  ready_timer_.cancel();
  notify("STOPPING=1\nSTATUS=draining sessions");
}

}  // namespace hikyaku::app
