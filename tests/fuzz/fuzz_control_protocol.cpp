// Fuzz target for queue/control_protocol: parsing arbitrary request lines and responses never
// crashes; what parses re-renders and parses to the same value; a response built from the
// input round-trips exactly and never carries CR. Broken invariants abort.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "queue/control_protocol.hpp"

namespace {

namespace queue = hikyaku::queue;

void check(bool ok, const char* what, std::size_t size) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_control_protocol invariant failed: %s (input %zu octets)\n", what, size);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto r = queue::parse_request(in); r) {
    const std::string line = queue::render_request(*r);
    auto again = queue::parse_request(std::string_view(line).substr(0, line.size() - 1));
    check(again.has_value() && *again == *r, "request does not round-trip", size);
  }
  if (auto r = queue::parse_response(in); r) {
    auto again = queue::parse_response(queue::render_response(*r));
    check(again.has_value() && *again == *r, "response does not round-trip", size);
  }
  // A response whose string fields are pieces of the input.
  queue::ControlResponse built;
  queue::EntrySummary e;
  e.queue_id = "Q1";
  const auto third = in.size() / 3;
  e.sender = std::string(in.substr(0, third));
  e.recipients = {std::string(in.substr(third, third)), std::string(in.substr(0, 1))};
  e.last_error = std::string(in.substr(2 * third));
  e.arrival = static_cast<std::int64_t>(size) * 7919;
  built.entries = {e};
  built.count = 1;
  const std::string bytes = queue::render_response(built);
  check(bytes.find('\r') == std::string::npos, "CR in a response", size);
  check(std::count(bytes.begin(), bytes.end(), '\n') == 2, "field broke a line", size);
  auto back = queue::parse_response(bytes);
  check(back.has_value() && *back == built, "built response does not round-trip", size);
  return 0;
}
