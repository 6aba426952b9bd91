// The spool's free-space floor ([queue] min_free_space, min_free_inodes): below it new mail is
// refused with 452 4.3.1 (RFC 5321 §4.2.2 452; RFC 3463 §3.4 X.3.1 "mail system full") before
// anything is written, so accepted mail is never lost to a full disk. The decision is pure; the
// statvfs(3) probe is separate.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/smtp_reply.hpp"

namespace hikyaku::queue {

struct FreeSpace {
  std::uint64_t bytes = 0;   // available to an unprivileged user (f_bavail * f_frsize)
  std::uint64_t inodes = 0;  // likewise (f_favail)
};

struct SpaceFloor {
  std::uint64_t min_bytes = 0;   // 0: not checked
  std::uint64_t min_inodes = 0;  // 0: not checked
};

// Why `free` is below `floor` ("" when it is not): exactly `min` available is enough.
std::string below_floor(const FreeSpace& free, const SpaceFloor& floor);

// statvfs of the file system holding `directory`; nullopt when it cannot be read (a missing
// spool: its own write then fails and answers for itself).
std::optional<FreeSpace> probe_free_space(const std::string& directory);

// The refusal for new mail below the floor (RFC 3463 §3.4: 4.3.1 mail system full).
core::SmtpReply insufficient_storage_reply();

// Probes `directory` and compares: "" when there is room (or the floor is 0, or no answer).
std::string spool_space_problem(const std::string& directory, const SpaceFloor& floor);

}  // namespace hikyaku::queue
