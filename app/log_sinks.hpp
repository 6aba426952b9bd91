// spdlog sinks for [log] format = "json" (one JSON object a line on a stream) and
// [log] target = "journald" (native journal fields through sd_journal_sendv). Both parse each
// line with parse_log_line, so no log call has to change.
#pragma once
#include <unistd.h>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>

namespace hikyaku::app {

// "2026-11-22T16:02:05.123Z": the time field of JSON lines (RFC 3339 §5.6, UTC).
std::string rfc3339_millis(std::chrono::system_clock::time_point t);

// syslog severity (RFC 5424 §6.2.1) of an spdlog level, the journal's PRIORITY.
int syslog_priority(spdlog::level::level_enum level);

class JsonSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JsonSink(std::FILE* out) : out_(out), pid_(::getpid()) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override { std::fflush(out_); }

 private:
  std::FILE* out_;
  long pid_;  // taken once: getpid() is a system call on every line otherwise
};

// Whether journald's socket (/run/systemd/journal/socket) is there.
bool journal_socket_present();

class JournaldSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Sends the fields; returns 0 or a negative errno (sd_journal_sendv's contract).
  using Send = std::function<int(const std::vector<std::string>& fields)>;
  // `send` defaults to sd_journal_sendv, or to a failure when there was no journal socket at
  // start (sd_journal_sendv then drops entries silently). When it fails the line goes to
  // `fallback` as text, so nothing is lost when journald is missing.
  explicit JournaldSink(std::FILE* fallback, Send send = {});

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override { std::fflush(fallback_); }

 private:
  std::FILE* fallback_;
  Send send_;
  long pid_;
};

}  // namespace hikyaku::app
