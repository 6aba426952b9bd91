// Durations in the configuration: a whole number and a unit, "250ms", "30s", "5m", "2h", "5d".
// A bare number is refused (is "30" seconds or milliseconds?) and so is anything that would
// overflow a 64-bit count of milliseconds.
#include <cstdint>
#include <limits>

#include "config/loader.hpp"

namespace hikyaku::config {

std::optional<Duration> parse_duration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 18) return std::nullopt;  // 18 digits cannot overflow int64
  int64_t number = 0;
  for (size_t i = 0; i < digits; ++i) number = number * 10 + (text[i] - '0');

  const std::string_view unit = text.substr(digits);
  int64_t ms_per_unit = 0;
  if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "m") {
    ms_per_unit = 60 * 1000;
  } else if (unit == "h") {
    ms_per_unit = 60 * 60 * 1000;
  } else if (unit == "d") {
    ms_per_unit = 24 * 60 * 60 * 1000;
  } else {
    return std::nullopt;
  }
  if (number > std::numeric_limits<int64_t>::max() / ms_per_unit) return std::nullopt;
  return Duration(number * ms_per_unit);
}

}  // namespace hikyaku::config
