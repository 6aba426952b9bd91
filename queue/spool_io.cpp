// Durable spool I/O over POSIX open/write/fsync/rename (DESIGN §1 step 7). Every failure,
// including ENOSPC from write or fsync, comes back as a SpoolIoError; partial tmp files are
// unlinked on failure.
#include "queue/spool_io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "metrics/catalog.hpp"

namespace hikyaku::queue {
namespace {

SpoolIoError sys_error(std::string_view op, const std::string& path, int err) {
  return {err, std::string(op) + ' ' + path + ": " + std::strerror(err)};
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release_close() { const int r = ::close(fd_); fd_ = -1; return r; }

 private:
  int fd_;
};

// fsync(2) of a spool file or directory, its time observed in hikyaku_spool_fsync_seconds under
// `target` (file, directory) whether it succeeded or not.
int timed_fsync(int fd, std::string_view target) {
  const auto started = std::chrono::steady_clock::now();
  const int r = ::fsync(fd);
  const int err = errno;
  metrics::process().spool_fsync.with({target}).observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  errno = err;
  return r;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos && name.substr(0, 4) != "tmp.";
}

}  // namespace

bool SpoolIoError::no_space() const {
  return code == ENOSPC || code == EDQUOT;
}

bool SpoolIoError::locked_elsewhere() const {
  return code == EWOULDBLOCK;
}

SpoolLock::~SpoolLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

SpoolLock& SpoolLock::operator=(SpoolLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

core::Expected<SpoolLock, SpoolIoError> lock_spool(const std::string& dir) {
  const std::string path = dir + '/' + std::string(kLockFileName);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  // An operator who may read the spool but not create files in it can still lock an existing
  // lock file (flock needs no write access).
  if (fd < 0 && (errno == EACCES || errno == EROFS)) {
    fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return core::unexpected(sys_error("open", path, errno));
  SpoolLock lock(fd);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    return core::unexpected(sys_error("flock", path, errno));
  }
  return lock;
}

IoResult write_durably(const std::string& dir, std::string_view name, std::string_view bytes) {
  if (!valid_name(name)) return core::unexpected(SpoolIoError{0, "invalid spool file name"});
  const auto started = std::chrono::steady_clock::now();
  const std::string tmp = dir + "/tmp." + std::string(name);
  const std::string final_path = dir + '/' + std::string(name);
  auto fail = [&tmp](std::string_view op, const std::string& path, int err) -> IoResult {
    ::unlink(tmp.c_str());
    return core::unexpected(sys_error(op, path, err));
  };
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) return core::unexpected(sys_error("open", tmp, errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail("write", tmp, errno);
      }
      done += static_cast<std::size_t>(n);
    }
    if (timed_fsync(fd.get(), "file") != 0) return fail("fsync", tmp, errno);
    if (fd.release_close() != 0) return fail("close", tmp, errno);
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) return fail("rename", final_path, errno);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return core::unexpected(sys_error("open", dir, errno));
  if (timed_fsync(dfd.get(), "directory") != 0) return core::unexpected(sys_error("fsync", dir, errno));
  metrics::process().spool_write.with({}).observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return std::monostate{};
}

core::Expected<std::string, SpoolIoError> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return core::unexpected(sys_error("open", path, errno));
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::unexpected(sys_error("read", path, errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

core::Expected<SpoolEntry, ScanProblem> read_entry(const std::string& dir, const std::string& name) {
  auto bytes = read_file(dir + '/' + name);
  if (!bytes) return core::unexpected(ScanProblem{name, bytes.error().message, false});
  auto entry = decode(*bytes);
  if (!entry) return core::unexpected(ScanProblem{name, entry.error(), true});
  return std::move(*entry);
}

core::Expected<SpoolEntry, ScanProblem> read_metadata(const std::string& dir, const std::string& name,
                                                      std::uint64_t* message_bytes) {
  const std::string path = dir + '/' + name;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) {
    return core::unexpected(ScanProblem{name, sys_error("open", path, errno).message, false});
  }
  SpoolMetadataReader reader(static_cast<std::uint64_t>(st.st_size));
  std::string buf(65536, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::unexpected(ScanProblem{name, sys_error("read", path, errno).message, false});
    }
    if (n == 0) break;
    reader.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
  auto entry = reader.finish();
  if (!entry) return core::unexpected(ScanProblem{name, entry.error(), true});
  if (message_bytes != nullptr) *message_bytes = reader.message_length();
  return std::move(*entry);
}

core::Expected<ScanResult, SpoolIoError> scan(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return core::unexpected(sys_error("opendir", dir, errno));
  std::vector<std::string> names;
  while (const dirent* ent = ::readdir(d)) {
    const std::string_view n = ent->d_name;
    if (n != "." && n != ".." && n != kLockFileName) names.emplace_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  ScanResult out;
  for (const auto& name : names) {
    const std::string path = dir + '/' + name;
    struct stat st {};
    const bool stat_ok = ::lstat(path.c_str(), &st) == 0;
    if (stat_ok && S_ISSOCK(st.st_mode)) continue;  // the control socket
    if (stat_ok && S_ISDIR(st.st_mode) && (name == kCorruptDirName || name == kReportsDirName)) continue;
    if (!stat_ok || !S_ISREG(st.st_mode)) {
      out.problems.push_back({name, "not a regular file"});
      continue;
    }
    if (name.rfind("tmp.", 0) == 0) {
      out.problems.push_back({name, "leftover temporary file (ignored)"});
      continue;
    }
    std::uint64_t message_bytes = 0;
    auto entry = read_metadata(dir, name, &message_bytes);
    if (!entry) {
      out.problems.push_back(std::move(entry.error()));
      continue;
    }
    out.entries.push_back({name, std::move(*entry), message_bytes});
  }
  return out;
}

IoResult move_aside(const std::string& dir, const std::string& name, const std::string& reason) {
  if (!valid_name(name)) return core::unexpected(SpoolIoError{0, "invalid spool file name"});
  const std::string aside = dir + '/' + std::string(kCorruptDirName);
  if (::mkdir(aside.c_str(), 0700) != 0 && errno != EEXIST) {
    return core::unexpected(sys_error("mkdir", aside, errno));
  }
  // The reason first: a file in corrupt/ always has one (a crash between leaves a reason for a
  // file still in the spool, which the next scan moves again).
  if (auto r = write_durably(aside, name + std::string(kReasonSuffix), reason + '\n'); !r) return r;
  const std::string from = dir + '/' + name, to = aside + '/' + name;
  if (::rename(from.c_str(), to.c_str()) != 0) return core::unexpected(sys_error("rename", from, errno));
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0 || timed_fsync(dfd.get(), "directory") != 0) {
    return core::unexpected(sys_error("fsync", dir, errno));
  }
  return std::monostate{};
}

std::vector<ScanProblem> list_corrupt(const std::string& dir) {
  const std::string aside = dir + '/' + std::string(kCorruptDirName);
  std::vector<ScanProblem> out;
  DIR* d = ::opendir(aside.c_str());
  if (d == nullptr) return out;
  std::vector<std::string> names;
  while (const dirent* ent = ::readdir(d)) {
    const std::string_view n = ent->d_name;
    if (n == "." || n == ".." || n.rfind("tmp.", 0) == 0) continue;
    if (n.size() > kReasonSuffix.size() && n.substr(n.size() - kReasonSuffix.size()) == kReasonSuffix) continue;
    names.emplace_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto reason = read_file(aside + '/' + name + std::string(kReasonSuffix));
    std::string text = reason ? *reason : std::string("(no reason recorded)");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    out.push_back({name, std::move(text), true});
  }
  return out;
}

std::string rewrite_entry(const std::string& directory, const SpoolEntry& meta) {
  auto on_disk = read_entry(directory, meta.queue_id);
  if (!on_disk) return on_disk.error().reason;
  SpoolEntry full = meta;
  full.message = std::move(on_disk->message);
  auto written = write_durably(directory, meta.queue_id, encode(full));
  return written ? std::string() : written.error().message;
}

void recover_scanned(const std::string& directory, ScanResult& scanned, std::time_t process_start) {
  for (auto it = scanned.entries.begin(); it != scanned.entries.end();) {
    if (it->name == it->entry.queue_id) {
      ++it;
      continue;
    }
    scanned.problems.push_back({it->name, "file name differs from its queue id " + it->entry.queue_id, true});
    it = scanned.entries.erase(it);
  }
  for (auto& p : scanned.problems) {
    // A temporary file older than this process is a write a crash cut short: the reply that
    // would have acknowledged it waits for its rename, so it was never acknowledged. One written
    // since (a session writing beside this scan) is left alone.
    if (p.name.rfind("tmp.", 0) == 0) {
      const std::string path = directory + "/" + p.name;
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && st.st_mtime < process_start && ::unlink(path.c_str()) == 0) {
        p.reason = "unfinished write from before this start (never acknowledged): removed";
      }
      continue;
    }
    if (!p.corrupt) continue;
    if (auto moved = move_aside(directory, p.name, p.reason); moved) {
      p.reason += " (kept aside in " + std::string(kCorruptDirName) + "/)";
    } else {
      p.reason += " (could not be kept aside: " + moved.error().message + ")";
    }
  }
}

}  // namespace hikyaku::queue
