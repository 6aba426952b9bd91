// core/log_fields: the formatting behind relay= and delays=.
#include "core/log_fields.hpp"

#include <fmt/format.h>

namespace hikyaku::core {

std::string relay_field(std::string_view host, std::string_view endpoint) {
  if (endpoint.empty()) return host.empty() ? "none" : std::string(host);
  std::string_view address = endpoint;
  std::string_view port;
  if (endpoint.front() == '[') {
    const auto close = endpoint.find(']');
    address = endpoint.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    if (close != std::string_view::npos && close + 2 <= endpoint.size()) port = endpoint.substr(close + 2);
  } else if (const auto colon = endpoint.rfind(':'); colon != std::string_view::npos) {
    address = endpoint.substr(0, colon);
    port = endpoint.substr(colon + 1);
  }
  return fmt::format("{}[{}]{}{}", host.empty() ? address : host, address, port.empty() ? "" : ":", port);
}

namespace {

std::string seconds(std::chrono::steady_clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  if (s < 0.005) return "0";
  std::string text = fmt::format("{:.2f}", s);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

std::string delays_field(std::chrono::steady_clock::duration before_queue, std::chrono::steady_clock::duration in_queue,
                         std::chrono::steady_clock::duration setup, std::chrono::steady_clock::duration transmission) {
  return seconds(before_queue) + "/" + seconds(in_queue) + "/" + seconds(setup) + "/" + seconds(transmission);
}

}  // namespace hikyaku::core
