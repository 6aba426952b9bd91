// Durable spool I/O in plain POSIX (DESIGN §1 step 7): a message is on disk before the 250 is
// sent — write tmp.<name>, fsync, rename, fsync the directory. Scanning reports, never crashes
// on, corrupt or truncated files and leftover tmp.* files.
#pragma once
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
};

using IoResult = core::Expected<std::monostate, SpoolIoError>;

// Writes bytes as dir/name durably. name must be a plain file name not starting with "tmp.".
IoResult write_durably(const std::string& dir, std::string_view name, std::string_view bytes);

struct ScannedEntry {
  std::string name;
  SpoolEntry entry;
};
struct ScanProblem {
  std::string name;
  std::string reason;  // decode error, read error, or "leftover temporary file"
};
struct ScanResult {
  std::vector<ScannedEntry> entries;   // sorted by name
  std::vector<ScanProblem> problems;   // sorted by name
};

// Reads every regular file in dir. Fails only when dir itself cannot be read.
core::Expected<ScanResult, SpoolIoError> scan(const std::string& dir);

// Reads one whole file (used by scan; exposed for the retry loop).
core::Expected<std::string, SpoolIoError> read_file(const std::string& path);

}  // namespace hikyaku::queue
