// The free-space floor: statvfs(3) of the spool and the comparison with [queue] min_free_*.
#include "queue/free_space.hpp"

#include <sys/statvfs.h>

#include <fmt/format.h>

namespace hikyaku::queue {

std::string below_floor(const FreeSpace& free, const SpaceFloor& floor) {
  if (floor.min_bytes > 0 && free.bytes < floor.min_bytes) {
    return fmt::format("{} bytes free in the spool, below min_free_space {}", free.bytes, floor.min_bytes);
  }
  if (floor.min_inodes > 0 && free.inodes < floor.min_inodes) {
    return fmt::format("{} inodes free in the spool, below min_free_inodes {}", free.inodes,
                       floor.min_inodes);
  }
  return {};
}

std::optional<FreeSpace> probe_free_space(const std::string& directory) {
  struct statvfs st {};
  if (::statvfs(directory.c_str(), &st) != 0) return std::nullopt;
  FreeSpace out;
  out.bytes = static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize);
  out.inodes = static_cast<std::uint64_t>(st.f_favail);
  // Some file systems (btrfs, some network ones) report no inode counts at all.
  if (st.f_files == 0) out.inodes = UINT64_MAX;
  return out;
}

core::SmtpReply insufficient_storage_reply() {
  return core::SmtpReply::make(452, "4.3.1", "Insufficient system storage, try again later");
}

std::string spool_space_problem(const std::string& directory, const SpaceFloor& floor) {
  if (floor.min_bytes == 0 && floor.min_inodes == 0) return {};
  const auto free = probe_free_space(directory);
  if (!free) return {};
  return below_floor(*free, floor);
}

}  // namespace hikyaku::queue
