// The line protocol between `hikyaku queue` and the running server's control socket (DESIGN §4
// `queue list|flush|delete|drain`). One request line, one response; every string field is
// percent-escaped (queue/spool_file escape_value), so no field can break a line or a token. Pure.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace hikyaku::queue {

// One line of `hikyaku queue list`.
struct EntrySummary {
  std::string queue_id;
  std::int64_t arrival = 0;
  std::string sender;                   // original MAIL FROM ("" is <>)
  std::vector<std::string> recipients;  // still pending
  std::uint32_t attempts = 0;
  std::int64_t next_try = 0;
  std::string last_error;
  bool active = false;                  // being delivered right now
  bool operator==(const EntrySummary&) const = default;
};

// A spool file kept aside as unreadable (<spool>/corrupt/NAME) and why.
struct CorruptFile {
  std::string name;
  std::string reason;
  bool operator==(const CorruptFile&) const = default;
};

enum class ControlVerb { list, flush, remove, drain, reports };

struct ControlRequest {
  ControlVerb verb = ControlVerb::list;
  std::string queue_id;  // remove only
  bool operator==(const ControlRequest&) const = default;
};

// Requests: "LIST", "FLUSH", "DELETE <queue-id>", "DRAIN", "REPORTS", each ending in LF.
// REPORTS sends every stored day of the daily reports now, today's included (`hikyaku
// tls-report --send`); its count is the days sent. DRAIN is one
// round of `hikyaku queue drain`: every entry due now (as FLUSH), answered with the entries
// still queued (as LIST); the client repeats it until none is left. A queue id is 1-64 of
// [A-Za-z0-9._-] (never "." or "..", never starting "tmp."): it names a spool file.
inline constexpr std::size_t kMaxRequestLine = 128;
bool valid_queue_id(std::string_view id);
std::string render_request(const ControlRequest& request);
// `line` without its LF. Anything else is an error saying why.
core::Expected<ControlRequest, std::string> parse_request(std::string_view line);

// Responses: "OK <n>" then n "ENTRY ..." lines (LIST and DRAIN; n is the count flushed for FLUSH, 1 for a
// DELETE that found the entry), or "ERR <escaped text>"; every line ends in LF. An entry line:
// "ENTRY <id> <arrival> <attempts> <next_try> <0|1> =<sender> <nrcpt> =<rcpt>... =<last_error>".
// After the entries of a LIST, one "CORRUPT =<name> =<reason>" line per file kept aside.
struct ControlResponse {
  bool ok = true;
  std::string error;    // !ok
  std::uint64_t count = 0;
  std::vector<EntrySummary> entries;
  std::vector<CorruptFile> corrupt;
  bool operator==(const ControlResponse&) const = default;
};
inline constexpr std::size_t kMaxResponse = 64 * 1024 * 1024;
std::string render_response(const ControlResponse& response);
// The whole response (up to EOF). Extra, missing or malformed lines are an error.
core::Expected<ControlResponse, std::string> parse_response(std::string_view bytes);

}  // namespace hikyaku::queue
