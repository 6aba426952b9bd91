// Unit tests for app/outcome_log's relay= field, written as Postfix writes it.
#include "app/outcome_log.hpp"

#include <gtest/gtest.h>

namespace hikyaku::app {
namespace {

TEST(OutcomeLog, RelayFieldAsPostfixWritesIt) {
  EXPECT_EQ(relay_field("mx.example.net", "[2001:db8::25]:25"), "mx.example.net[2001:db8::25]:25");
  EXPECT_EQ(relay_field("mx.example.net", "192.0.2.25:2525"), "mx.example.net[192.0.2.25]:2525");
  EXPECT_EQ(relay_field("", "192.0.2.25:25"), "192.0.2.25[192.0.2.25]:25");
  EXPECT_EQ(relay_field("", ""), "none");
  EXPECT_EQ(relay_field("mx.example.net", ""), "mx.example.net");
}

}  // namespace
}  // namespace hikyaku::app
