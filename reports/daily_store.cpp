// DailyStore over POSIX: O_APPEND writes of whole lines (one write(2) per record), fsync every
// fsync_batch records and on flush(); a torn tail found when a day's file is reopened is cut
// back to its last complete line, so new records never join a fragment.
#include "reports/daily_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace hikyaku::reports {

namespace {

constexpr std::string_view kSuffix = ".log";

std::string errno_text(std::string_view what, const std::string& path, int err) {
  return std::string(what) + " " + path + ": " + std::strerror(err);
}

void fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string utc_day(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_days d = floor<days>(sys_seconds(seconds(unix_seconds)));
  const year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

bool is_day(std::string_view day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return false;
  for (std::size_t i = 0; i < day.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (day[i] < '0' || day[i] > '9') return false;
  }
  using namespace std::chrono;
  const int y = std::stoi(std::string(day.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(day.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(day.substr(8, 2))));
  return year_month_day(year(y), month(m), std::chrono::day(d)).ok();
}

std::int64_t day_start(std::string_view day) {
  using namespace std::chrono;
  const int y = std::stoi(std::string(day.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(day.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(day.substr(8, 2))));
  const sys_days sd = year_month_day(year(y), month(m), std::chrono::day(d));
  return duration_cast<seconds>(sd.time_since_epoch()).count();
}

struct DailyStore::State {
  DailyStoreOptions options;
  mutable std::mutex mutex;
  std::string open_day;  // the day whose file `fd` is
  int fd = -1;
  std::uint64_t size = 0;       // that file's length
  std::size_t unsynced = 0;     // records written since the last fsync
  std::uint64_t dropped = 0;

  std::string path_of(std::string_view day) const {
    return options.dir + "/" + std::string(day) + std::string(kSuffix);
  }

  void sync_locked() {
    if (fd >= 0 && unsynced > 0) ::fsync(fd);
    unsynced = 0;
  }

  void close_locked() {
    sync_locked();
    if (fd >= 0) ::close(fd);
    fd = -1;
    open_day.clear();
    size = 0;
  }

  // Opens (creating) the day's file for appending; a tail without its newline is cut off.
  bool open_locked(const std::string& day) {
    close_locked();
    const std::string path = path_of(day);
    struct stat before {};
    const bool existed = ::stat(path.c_str(), &before) == 0;
    const int f = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (f < 0) return false;
    struct stat st {};
    if (::fstat(f, &st) != 0) {
      ::close(f);
      return false;
    }
    std::uint64_t len = static_cast<std::uint64_t>(st.st_size);
    if (len > 0) {
      // Find the last newline from the end, in blocks.
      char last = 0;
      if (::pread(f, &last, 1, static_cast<off_t>(len - 1)) == 1 && last != '\n') {
        std::uint64_t keep = 0;
        char buf[4096];
        std::uint64_t end = len;
        while (end > 0 && keep == 0) {
          const std::uint64_t start = end > sizeof buf ? end - sizeof buf : 0;
          const ssize_t n = ::pread(f, buf, static_cast<std::size_t>(end - start), static_cast<off_t>(start));
          if (n <= 0) break;
          for (ssize_t i = n - 1; i >= 0; --i) {
            if (buf[i] == '\n') {
              keep = start + static_cast<std::uint64_t>(i) + 1;
              break;
            }
          }
          end = start;
        }
        if (::ftruncate(f, static_cast<off_t>(keep)) == 0) {
          ::fsync(f);
          len = keep;
        }
      }
    }
    if (!existed) fsync_dir(options.dir);
    fd = f;
    open_day = day;
    size = len;
    return true;
  }
};

DailyStore::DailyStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
DailyStore::DailyStore(DailyStore&&) noexcept = default;
DailyStore& DailyStore::operator=(DailyStore&&) noexcept = default;
DailyStore::~DailyStore() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  state_->close_locked();
}

core::Expected<DailyStore, std::string> DailyStore::open(DailyStoreOptions options) {
  if (options.dir.empty()) return core::unexpected(std::string("report store: no directory"));
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return core::unexpected("create " + options.dir + ": " + ec.message());
  if (::access(options.dir.c_str(), W_OK | X_OK) != 0) {
    return core::unexpected(errno_text("access", options.dir, errno));
  }
  if (options.fsync_batch == 0) options.fsync_batch = 1;
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  return DailyStore(std::move(state));
}

bool DailyStore::append(std::int64_t now, std::string_view record) {
  if (record.find('\n') != std::string_view::npos) return false;
  const std::string day = utc_day(now);
  std::lock_guard lock(state_->mutex);
  State& s = *state_;
  if (s.open_day != day && !s.open_locked(day)) return false;
  const std::uint64_t line = record.size() + 1;
  if (s.size + line > s.options.max_bytes_per_day) {
    ++s.dropped;
    return false;
  }
  std::string bytes;
  bytes.reserve(line);
  bytes.append(record);
  bytes.push_back('\n');
  if (!write_all(s.fd, bytes)) {
    // A partial write leaves a torn tail: reopening cuts it.
    s.close_locked();
    return false;
  }
  s.size += line;
  if (++s.unsynced >= s.options.fsync_batch) s.sync_locked();
  return true;
}

void DailyStore::flush() {
  std::lock_guard lock(state_->mutex);
  state_->sync_locked();
}

std::vector<std::string> DailyStore::days() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(state_->options.dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* ent = ::readdir(d)) {
    const std::string_view n = ent->d_name;
    if (n.size() != 10 + kSuffix.size() || !n.ends_with(kSuffix)) continue;
    const std::string_view day = n.substr(0, 10);
    if (is_day(day)) out.emplace_back(day);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

core::Expected<std::vector<std::string>, std::string> DailyStore::read_day(std::string_view day) const {
  if (!is_day(day)) return core::unexpected("not a day: " + std::string(day));
  const std::string path = state_->path_of(day);
  std::vector<std::string> lines;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return lines;
    return core::unexpected(errno_text("open", path, errno));
  }
  std::string bytes;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return core::unexpected(errno_text("read", path, err));
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::size_t pos = 0;
  for (;;) {
    const std::size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) break;  // the rest, if any, is a torn last line
    lines.emplace_back(bytes, pos, nl - pos);
    pos = nl + 1;
  }
  return lines;
}

void DailyStore::remove_day(std::string_view day) {
  if (!is_day(day)) return;
  std::lock_guard lock(state_->mutex);
  if (state_->open_day == day) state_->close_locked();
  if (::unlink(state_->path_of(day).c_str()) == 0) fsync_dir(state_->options.dir);
}

std::uint64_t DailyStore::dropped() const {
  std::lock_guard lock(state_->mutex);
  return state_->dropped;
}

const DailyStoreOptions& DailyStore::options() const { return state_->options; }

}  // namespace hikyaku::reports
