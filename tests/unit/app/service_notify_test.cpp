// Unit tests for the pure parts of app/service_notify: the reload state and the watchdog period.
#include "app/service_notify.hpp"

#include <gtest/gtest.h>

namespace hikyaku::app {
namespace {

TEST(ServiceNotify, ReloadingStateCarriesMonotonicTime) {
  EXPECT_EQ(reloading_state(123456789),
            "RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading the configuration");
}

TEST(ServiceNotify, WatchdogPeriodIsHalfTheTimeoutWithAFloor) {
  EXPECT_EQ(watchdog_period(30000000).count(), 15000000);
  EXPECT_EQ(watchdog_period(20001).count(), 10000);
  EXPECT_EQ(watchdog_period(20000).count(), 10000);
  EXPECT_EQ(watchdog_period(19999).count(), 10000);
  EXPECT_EQ(watchdog_period(1).count(), 10000);
}

}  // namespace
}  // namespace hikyaku::app
