// JSON-lines and journald sinks for spdlog (see log_sinks.hpp); the journal protocol itself is
// libsystemd's sd_journal_sendv.
#include "app/log_sinks.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include <fmt/format.h>
#include <systemd/sd-journal.h>

#include "app/log_event.hpp"

namespace hikyaku::app {

std::string rfc3339_millis(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    default: return 6;
  }
}

void JsonSink::sink_it_(const spdlog::details::log_msg& msg) {
  const std::string_view text(msg.payload.data(), msg.payload.size());
  const auto level = spdlog::level::to_string_view(msg.level);
  std::string line = render_json(parse_log_line(text), rfc3339_millis(msg.time),
                                 std::string_view(level.data(), level.size()), pid_, text);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out_);
}

bool journal_socket_present() {
  struct stat st {};
  return ::stat("/run/systemd/journal/socket", &st) == 0 && S_ISSOCK(st.st_mode);
}

JournaldSink::JournaldSink(std::FILE* fallback, Send send)
    : fallback_(fallback), send_(std::move(send)), pid_(::getpid()) {
  if (!send_) {
    send_ = [present = journal_socket_present()](const std::vector<std::string>& fields) {
      if (!present) return -ENOENT;
      std::vector<iovec> iov;
      iov.reserve(fields.size());
      for (const auto& f : fields) iov.push_back({const_cast<char*>(f.data()), f.size()});
      return sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
    };
  }
}

void JournaldSink::sink_it_(const spdlog::details::log_msg& msg) {
  const std::string_view text(msg.payload.data(), msg.payload.size());
  if (send_(journal_fields(parse_log_line(text), syslog_priority(msg.level), text)) >= 0) return;
  const auto level = spdlog::level::to_string_view(msg.level);
  const std::string line = fmt::format("{} hikyaku[{}] {}: {}\n", rfc3339_millis(msg.time), pid_,
                                       std::string_view(level.data(), level.size()), text);
  std::fwrite(line.data(), 1, line.size(), fallback_);
}

}  // namespace hikyaku::app
