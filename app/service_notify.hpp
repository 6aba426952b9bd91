// The systemd service-manager protocol (sd_notify(3), systemd.service(5) Type=notify):
// READY=1 once the spool is recovered and the listeners are bound, RELOADING=1 with
// MONOTONIC_USEC around a SIGHUP reload, STOPPING=1 on SIGTERM, WATCHDOG=1 from the event loop.
// Every call is a no-op when NOTIFY_SOCKET is unset.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace hikyaku::app {

// The state lines sent on reload (pure, for tests): "RELOADING=1\nMONOTONIC_USEC=<usec>\n
// STATUS=...".
std::string reloading_state(uint64_t monotonic_usec);
// How often to ping a watchdog of `usec` (WATCHDOG_USEC): half of it, as sd_watchdog_enabled(3)
// advises, and never more often than every 10 ms.
std::chrono::microseconds watchdog_period(uint64_t usec);

class ServiceNotifier {
 public:
  explicit ServiceNotifier(boost::asio::io_context& io);
  // Sends READY=1 once `ready()` holds (checked on the running event loop, every 20 ms), and
  // starts the watchdog pings when the manager asked for them (WATCHDOG_USEC, WATCHDOG_PID).
  void ready_when(std::function<bool()> ready, std::string status);
  void reloading();
  void reloaded(bool ok);
  void stopping();

 private:
  void poll_ready();
  void ping();
  boost::asio::io_context& io_;
  boost::asio::steady_timer ready_timer_;
  boost::asio::steady_timer watchdog_timer_;
  std::function<bool()> ready_;
  std::string status_;
  std::chrono::microseconds watchdog_period_{0};
  bool ready_sent_ = false;
  bool stopping_ = false;
};

}  // namespace hikyaku::app
