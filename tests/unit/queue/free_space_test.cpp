// Tests for queue/free_space: the floor at its exact boundary (N-1 refused, N and N+1 taken),
// for bytes and inodes, 0 turning a check off, and the probe against a real directory.
#include <gtest/gtest.h>

#include <filesystem>

#include "queue/free_space.hpp"

namespace hikyaku::queue {
namespace {

TEST(FreeSpaceFloor, BytesAtTheBoundary) {
  const SpaceFloor floor{1000, 0};
  EXPECT_EQ(below_floor({999, 5}, floor), "999 bytes free in the spool, below min_free_space 1000");
  EXPECT_EQ(below_floor({1000, 5}, floor), "");
  EXPECT_EQ(below_floor({1001, 5}, floor), "");
}

TEST(FreeSpaceFloor, InodesAtTheBoundary) {
  const SpaceFloor floor{0, 10};
  EXPECT_EQ(below_floor({1, 9}, floor), "9 inodes free in the spool, below min_free_inodes 10");
  EXPECT_EQ(below_floor({1, 10}, floor), "");
  EXPECT_EQ(below_floor({1, 11}, floor), "");
}

TEST(FreeSpaceFloor, ZeroTurnsTheCheckOff) {
  EXPECT_EQ(below_floor({0, 0}, SpaceFloor{0, 0}), "");
  EXPECT_EQ(spool_space_problem("/nonexistent-spool-dir", SpaceFloor{1, 1}), "");  // no answer
}

TEST(FreeSpaceFloor, ProbeReadsTheFileSystem) {
  const auto dir = std::filesystem::temp_directory_path().string();
  const auto free = probe_free_space(dir);
  ASSERT_TRUE(free.has_value());
  EXPECT_GT(free->bytes, 0u);
  EXPECT_EQ(spool_space_problem(dir, SpaceFloor{free->bytes / 2, 0}), "");
  EXPECT_NE(spool_space_problem(dir, SpaceFloor{UINT64_MAX, 0}), "");
  EXPECT_EQ(insufficient_storage_reply().code, 452);
  EXPECT_EQ(insufficient_storage_reply().enhanced, "4.3.1");
}

}  // namespace
}  // namespace hikyaku::queue
