// Tests for reports/daily_store: one file per UTC day, the byte bound at its exact boundary
// (N-1, N, N+1), a torn last line skipped on read and cut before the next append, records kept
// across reopening (a restart), days listed oldest first and removed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "reports/daily_store.hpp"

namespace hikyaku::reports {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDec7 = 1796601600;  // 2026-12-07T00:00:00Z

class DailyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hikyaku-reports-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/reports/tls";
  }
  void TearDown() override { fs::remove_all(root_); }
  DailyStore open(std::uint64_t max_bytes, std::size_t batch = 1) {
    auto s = DailyStore::open({dir_, max_bytes, batch});
    EXPECT_TRUE(s) << (s ? "" : s.error());
    return std::move(*s);
  }
  std::string file(const std::string& day) {
    std::ifstream in(dir_ + "/" + day + ".log", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string root_;
  std::string dir_;
};

TEST(UtcDay, DaysAndTheirStarts) {
  EXPECT_EQ(utc_day(kDec7), "2026-12-07");
  EXPECT_EQ(utc_day(kDec7 - 1), "2026-12-06");
  EXPECT_EQ(utc_day(kDec7 + 86399), "2026-12-07");
  EXPECT_EQ(day_start("2026-12-07"), kDec7);
  EXPECT_TRUE(is_day("2024-02-29"));
  EXPECT_FALSE(is_day("2026-02-29"));
  EXPECT_FALSE(is_day("2026-13-01"));
  EXPECT_FALSE(is_day("2026-1-011"));
  EXPECT_FALSE(is_day("../../etc/x"));
  EXPECT_FALSE(is_day(""));
}

TEST_F(DailyStoreTest, RecordsGoToTheFileOfTheirUtcDay) {
  auto store = open(4096);
  EXPECT_TRUE(store.append(kDec7 - 1, "late"));
  EXPECT_TRUE(store.append(kDec7, "a"));
  EXPECT_TRUE(store.append(kDec7 + 10, "b"));
  EXPECT_EQ(store.days(), (std::vector<std::string>{"2026-12-06", "2026-12-07"}));
  EXPECT_EQ(file("2026-12-07"), "a\nb\n");
  auto lines = store.read_day("2026-12-07");
  ASSERT_TRUE(lines);
  EXPECT_EQ(*lines, (std::vector<std::string>{"a", "b"}));
  auto none = store.read_day("2026-12-01");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(store.read_day("../x"));
}

TEST_F(DailyStoreTest, ARecordWithANewlineIsRefused) {
  auto store = open(4096);
  EXPECT_FALSE(store.append(kDec7, "a\nb"));
  EXPECT_EQ(file("2026-12-07"), "");
}

TEST_F(DailyStoreTest, TheByteBoundAtItsExactBoundary) {
  // Records of 9 bytes plus the newline: 10 bytes a line.
  for (const std::uint64_t max : {29u, 30u, 31u}) {
    fs::remove_all(dir_);
    auto store = open(max);
    EXPECT_TRUE(store.append(kDec7, "123456789"));
    EXPECT_TRUE(store.append(kDec7, "123456789"));
    const bool third = store.append(kDec7, "123456789");
    EXPECT_EQ(third, max >= 30) << max;
    EXPECT_EQ(store.dropped(), max >= 30 ? 0u : 1u) << max;
    EXPECT_EQ(file("2026-12-07").size(), max >= 30 ? 30u : 20u) << max;
    // A shorter record still fits in what is left; the next day starts afresh.
    EXPECT_EQ(store.append(kDec7, ""), max == 31 || max == 29 ? true : false) << max;
    EXPECT_TRUE(store.append(kDec7 + 86400, "123456789"));
  }
}

TEST_F(DailyStoreTest, TheBoundCountsWhatWasWrittenBeforeARestart) {
  {
    auto store = open(20);
    EXPECT_TRUE(store.append(kDec7, "123456789"));
  }
  auto store = open(20);
  EXPECT_TRUE(store.append(kDec7, "123456789"));
  EXPECT_FALSE(store.append(kDec7, "x"));
  auto lines = store.read_day("2026-12-07");
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->size(), 2u);
}

TEST_F(DailyStoreTest, ATornLastLineIsSkippedAndCutBeforeTheNextRecord) {
  {
    auto store = open(4096);
    EXPECT_TRUE(store.append(kDec7, "one"));
    EXPECT_TRUE(store.append(kDec7, "two"));
  }
  // A crash in the middle of a write.
  std::ofstream(dir_ + "/2026-12-07.log", std::ios::app | std::ios::binary) << "thr";
  auto store = open(4096);
  auto lines = store.read_day("2026-12-07");
  ASSERT_TRUE(lines);
  EXPECT_EQ(*lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(store.append(kDec7, "four"));
  EXPECT_EQ(file("2026-12-07"), "one\ntwo\nfour\n");
}

TEST_F(DailyStoreTest, AFileOfOnlyATornLineIsEmptied) {
  fs::create_directories(dir_);
  std::ofstream(dir_ + "/2026-12-07.log", std::ios::binary) << "partial";
  auto store = open(4096);
  auto lines = store.read_day("2026-12-07");
  ASSERT_TRUE(lines);
  EXPECT_TRUE(lines->empty());
  EXPECT_TRUE(store.append(kDec7, "next"));
  EXPECT_EQ(file("2026-12-07"), "next\n");
}

TEST_F(DailyStoreTest, RemoveDayAndOtherFilesIgnored) {
  auto store = open(4096);
  EXPECT_TRUE(store.append(kDec7, "a"));
  EXPECT_TRUE(store.append(kDec7 + 86400, "b"));
  std::ofstream(dir_ + "/notes.txt") << "x";
  std::ofstream(dir_ + "/2026-13-01.log") << "x";
  EXPECT_EQ(store.days(), (std::vector<std::string>{"2026-12-07", "2026-12-08"}));
  store.remove_day("2026-12-08");  // the open one
  store.remove_day("2026-12-07");
  EXPECT_TRUE(store.days().empty());
  EXPECT_TRUE(store.append(kDec7 + 86400, "c"));
  EXPECT_EQ(file("2026-12-08"), "c\n");
}

TEST_F(DailyStoreTest, BatchedFsyncStillWritesEveryRecordAtOnce) {
  auto store = open(1 << 20, 1000);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(store.append(kDec7, "r" + std::to_string(i)));
  // Written (readable by another process) before any fsync.
  auto lines = store.read_day("2026-12-07");
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->size(), 10u);
  store.flush();
}

TEST_F(DailyStoreTest, AppendsFromSeveralThreadsAreWholeLines) {
  auto store = open(1 << 20, 16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 200; ++i) store.append(kDec7, std::string(50, static_cast<char>('a' + t)));
    });
  }
  for (auto& th : threads) th.join();
  auto lines = store.read_day("2026-12-07");
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 800u);
  for (const auto& l : *lines) EXPECT_EQ(l, std::string(50, l[0]));
}

TEST_F(DailyStoreTest, AnUnusableDirectoryIsAnError) {
  std::ofstream(root_ + "/file") << "x";
  auto s = DailyStore::open({root_ + "/file/sub", 1024, 1});
  EXPECT_FALSE(s);
  EXPECT_FALSE(DailyStore::open({"", 1024, 1}));
}

}  // namespace
}  // namespace hikyaku::reports
