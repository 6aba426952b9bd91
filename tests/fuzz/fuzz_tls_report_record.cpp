// Fuzz target for the TLS report store's record lines (reports/tls_report, RFC 8460 §4.4): a
// line read back after a crash or from a damaged disk must give a record or nothing, never a
// crash; a record that decodes re-encodes to a line that decodes to the same record, and a day
// of such lines aggregates with counts that add up.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "reports/tls_report.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_tls_report_record invariant failed: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hikyaku::reports;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto record = decode_tls_record(in);
  if (!record) return 0;
  check(is_tls_policy_type(record->policy_type), "unknown policy type accepted");
  check(record->result_type.empty() || is_tls_result_type(record->result_type), "unknown result type accepted");
  const std::string line = encode_tls_record(*record);
  check(line.find('\n') == std::string::npos, "an encoded record holds a newline");
  const auto again = decode_tls_record(line);
  check(again.has_value() && *again == *record, "a record does not survive its own encoding");
  const auto reports = build_tls_reports({line, line}, {"org", "c@example.net", "example.net", "2026-12-07"});
  check(reports.size() == 1, "two equal records make other than one report");
  check(reports[0].successful + reports[0].failed == 2, "session counts do not add up");
  return 0;
}
