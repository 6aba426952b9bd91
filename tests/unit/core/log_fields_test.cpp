// Unit tests for core/log_fields: relay= and delays= written as Postfix writes them.
#include "core/log_fields.hpp"

#include <gtest/gtest.h>

namespace hikyaku::core {
namespace {

using namespace std::chrono_literals;

TEST(LogFields, RelayFieldAsPostfixWritesIt) {
  EXPECT_EQ(relay_field("mx.example.net", "[2001:db8::25]:25"), "mx.example.net[2001:db8::25]:25");
  EXPECT_EQ(relay_field("mx.example.net", "192.0.2.25:2525"), "mx.example.net[192.0.2.25]:2525");
  EXPECT_EQ(relay_field("", "192.0.2.25:25"), "192.0.2.25[192.0.2.25]:25");
  EXPECT_EQ(relay_field("", ""), "none");
  EXPECT_EQ(relay_field("mx.example.net", ""), "mx.example.net");
}

TEST(LogFields, DelaysWithTwoDecimalsAndZeroUnderFiveMilliseconds) {
  EXPECT_EQ(delays_field(0ms, 0ms, 0ms, 0ms), "0/0/0/0");
  EXPECT_EQ(delays_field(4ms, 5ms, 120ms, 1500ms), "0/0.01/0.12/1.5");
  EXPECT_EQ(delays_field(2s, 3600s, 30s, 250ms), "2/3600/30/0.25");
}

}  // namespace
}  // namespace hikyaku::core
