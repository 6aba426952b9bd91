// Durable spool I/O in plain POSIX (DESIGN §1 step 7): a message is on disk before the 250 is
// sent — write tmp.<name>, fsync, rename, fsync the directory. Scanning reports, never crashes
// on, corrupt or truncated files and leftover tmp.* files; corrupt ones can be kept aside in
// <dir>/corrupt with their reason. One process owns a spool at a time: it holds an exclusive
// flock(2) on <dir>/.lock.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/expected.hpp"
#include "queue/spool_file.hpp"

namespace hikyaku::queue {

struct SpoolIoError {
  int code = 0;          // errno (0 for a bad argument)
  std::string message;   // "<operation> <path>: <strerror>"
  bool no_space() const;  // ENOSPC/EDQUOT: the caller answers 452 4.3.1
  bool locked_elsewhere() const;  // EWOULDBLOCK from lock_spool: another process owns the spool
};

using IoResult = core::Expected<std::monostate, SpoolIoError>;

// Writes bytes as dir/name durably. name must be a plain file name not starting with "tmp.".
IoResult write_durably(const std::string& dir, std::string_view name, std::string_view bytes);

struct ScannedEntry {
  std::string name;
  SpoolEntry entry;
  std::uint64_t message_bytes = 0;  // the message's length in the file (entry.message is empty)
};
struct ScanProblem {
  std::string name;
  std::string reason;    // decode error, read error, or "leftover temporary file"
  bool corrupt = false;  // the file was read and is not a valid entry: it may be moved aside
  bool operator==(const ScanProblem&) const = default;
};
struct ScanResult {
  std::vector<ScannedEntry> entries;   // sorted by name
  std::vector<ScanProblem> problems;   // sorted by name
};

// The lock file of a spool directory; scan() does not report it.
inline constexpr std::string_view kLockFileName = ".lock";
// Where corrupt files are kept aside (<dir>/corrupt/NAME, its reason in NAME.reason); scan()
// does not report it.
inline constexpr std::string_view kCorruptDirName = "corrupt";
inline constexpr std::string_view kReasonSuffix = ".reason";
// The daily report stores (reports/daily_store: <dir>/reports/<kind>/<day>.log) live inside the
// spool directory; scan() does not report it.
inline constexpr std::string_view kReportsDirName = "reports";

// An exclusive flock on <dir>/.lock, released when destroyed (or when the process ends).
class SpoolLock {
 public:
  SpoolLock() = default;
  explicit SpoolLock(int fd) : fd_(fd) {}
  ~SpoolLock();
  SpoolLock(SpoolLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SpoolLock& operator=(SpoolLock&& other) noexcept;
  SpoolLock(const SpoolLock&) = delete;
  SpoolLock& operator=(const SpoolLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Takes the spool's lock without waiting (LOCK_EX | LOCK_NB; the file is created when missing
// and opened O_CLOEXEC, so helper processes do not inherit it). When another process holds it
// the error is locked_elsewhere().
core::Expected<SpoolLock, SpoolIoError> lock_spool(const std::string& dir);

// Reads every regular file in dir (the lock file, the corrupt/ and reports/ directories and
// sockets, such as the control socket, are skipped silently), keeping only the metadata: entries come back
// without their message (SpoolMetadataReader), so memory stays bounded by the headers. Fails
// only when dir itself cannot be read.
core::Expected<ScanResult, SpoolIoError> scan(const std::string& dir);

// Reads one whole file.
core::Expected<std::string, SpoolIoError> read_file(const std::string& path);

// One entry of dir, with its message (read and verified whole, for an attempt or a rewrite),
// or without it (metadata only, streamed). The error's `corrupt` says the file was readable
// but not a valid entry.
core::Expected<SpoolEntry, ScanProblem> read_entry(const std::string& dir, const std::string& name);
// read_metadata() puts the message's length in `message_bytes` when given.
core::Expected<SpoolEntry, ScanProblem> read_metadata(const std::string& dir, const std::string& name,
                                                      std::uint64_t* message_bytes = nullptr);

// Moves dir/name to dir/corrupt/name and records why in dir/corrupt/name.reason (durably).
IoResult move_aside(const std::string& dir, const std::string& name, const std::string& reason);
// The files kept aside in dir/corrupt, with their reasons, sorted by name (none when there is
// no such directory).
std::vector<ScanProblem> list_corrupt(const std::string& dir);

// Rewrites an entry's file with the state `meta` (its message left empty) and the message read
// back from the file itself: the body is never held between attempts, and an entry stays one
// file. "" on success, else why not.
std::string rewrite_entry(const std::string& dir, const SpoolEntry& meta);

// What a queue runner does with a fresh scan before it adopts the entries: a file whose name
// differs from its queue id, and every corrupt file, are moved aside (their problem says where,
// or why not); a tmp.* file older than `process_start` (a write a crash cut short: the reply
// that would have acknowledged it waits for its rename) is removed.
void recover_scanned(const std::string& dir, ScanResult& scanned, std::time_t process_start);


}  // namespace hikyaku::queue
