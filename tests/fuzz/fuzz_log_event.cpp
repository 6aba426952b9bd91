// Fuzz target for app/log_event: any line (peer-supplied text ends up in log lines) parses
// without crashing, renders as exactly one valid JSON object (RFC 8259) whose "message" is the
// line itself when it is UTF-8, and yields journal field names journald accepts. Broken
// invariants abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/log_event.hpp"

namespace {

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_log_event invariant failed: %s (input %zu octets)\n", what, input.size());
  std::abort();
}

bool valid_utf8(std::string_view s) {
  try {
    (void)nlohmann::json(std::string(s)).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto event = hikyaku::app::parse_log_line(line);
  const std::string json = hikyaku::app::render_json(event, "2026-11-22T16:02:05.123Z", "info", 1, line);
  check(json.find('\n') == std::string::npos, "a raw newline in the JSON line", line);
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  check(parsed.is_object(), "the JSON line does not parse back", line);
  check(parsed.contains("event") && parsed["event"] == event.event, "event missing", line);
  if (valid_utf8(line)) check(parsed["message"] == std::string(line), "message changed", line);
  check(event.id.empty() || line.substr(0, event.id.size() + 2) == event.id + ": ", "id not the prefix", line);
  for (const auto& field : hikyaku::app::journal_fields(event, 6, line)) {
    const auto eq = field.find('=');
    check(eq != std::string::npos && eq > 0, "journal field without a name", line);
    check(field[0] >= 'A' && field[0] <= 'Z', "journal field name must start with a letter", line);
    for (size_t i = 0; i < eq; ++i) {
      const char c = field[i];
      check((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_', "bad journal field name", line);
    }
    check(eq <= 64, "journal field name over 64 characters", line);
  }
  return 0;
}
