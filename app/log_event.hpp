// One log line as a structured event: the "<ID>: " prefix split off, the key=value pairs the
// relay writes (app/outcome_log.cpp, queue/queue_runner.cpp) parsed into typed fields, and an
// event name from the line's shape. Rendered as one JSON object (RFC 8259) or journal fields.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace hikyaku::app {

struct LogField {
  std::string key;    // lower case, digits and '_' ("message-id" is written message_id)
  std::string value;  // brackets, angle brackets and quotes removed; "to" keeps its commas
};

struct LogEvent {
  std::string id;     // session, transaction or queue id; empty on process-wide lines
  std::string event;  // connect, disconnect, reject, rcpt, auth, outcome, delivery, attempt, tls, queue, log
  std::vector<LogField> fields;
  const std::string* find(std::string_view key) const;
};

// Pure: the message of one spdlog call, without time or level.
LogEvent parse_log_line(std::string_view message);

// {"time","level","pid","event","id","message", then the fields}: one line, no newline.
// Numbers (size, delay in seconds, reply_code, attempts) are JSON numbers; "to" is an array.
// Bytes that are not UTF-8 are replaced, never dropped silently or emitted raw.
std::string render_json(const LogEvent& event, std::string_view time, std::string_view level, long pid,
                        std::string_view message);

// A journal MESSAGE_ID (128 bits, hex) per event name, stable across releases.
std::string_view journal_message_id(std::string_view event);

// "FIELD=value" entries for sd_journal_sendv: MESSAGE, PRIORITY (syslog, RFC 5424 §6.2.1),
// SYSLOG_IDENTIFIER, MESSAGE_ID, HIKYAKU_EVENT, HIKYAKU_ID and HIKYAKU_<KEY> per field.
std::vector<std::string> journal_fields(const LogEvent& event, int priority, std::string_view message);

}  // namespace hikyaku::app
