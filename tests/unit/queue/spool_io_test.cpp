// Tests for queue/spool_io: durable write then scan in a temporary directory, leftover tmp.*
// files and corrupt files reported (not fatal), failures returned as error values, and the
// spool lock (exclusive, skipped by scan like the control socket).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "queue/spool_io.hpp"

#include "metrics/catalog.hpp"

namespace hikyaku::queue {
namespace {

namespace fs = std::filesystem;

class SpoolIo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hikyaku-spool-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void put(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << bytes;
  }
  std::string dir_;
};

SpoolEntry entry(const std::string& id) {
  SpoolEntry e;
  e.queue_id = id;
  e.arrival = 1790000000;
  e.recipients = {{"bob@example.net", RcptState::pending, "", ""}};
  e.message = std::string("Subject: ") + id + "\r\n\r\nhi\r\n";
  return e;
}

TEST_F(SpoolIo, WriteThenScanFindsEntriesAndReportsProblems) {
  ASSERT_TRUE(write_durably(dir_, "b1", encode(entry("b1"))));
  ASSERT_TRUE(write_durably(dir_, "a1", encode(entry("a1"))));
  put("tmp.c1", encode(entry("c1")));          // a crash between write and rename
  put("d1", encode(entry("d1")).substr(0, 40));  // truncated
  std::string flipped = encode(entry("e1"));
  flipped[30] ^= 0x01;
  put("e1", flipped);
  fs::create_directory(dir_ + "/sub");

  const auto r = scan(dir_);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->entries.size(), 2u);
  EXPECT_EQ(r->entries[0].name, "a1");
  // The scan keeps the metadata only; the message is read when needed.
  SpoolEntry without_message = entry("a1");
  without_message.message.clear();
  EXPECT_EQ(r->entries[0].entry, without_message);
  auto whole = read_entry(dir_, "a1");
  ASSERT_TRUE(whole) << whole.error().reason;
  EXPECT_EQ(*whole, entry("a1"));
  EXPECT_EQ(r->entries[1].name, "b1");
  ASSERT_EQ(r->problems.size(), 4u);
  EXPECT_EQ(r->problems[0].name, "d1");
  EXPECT_EQ(r->problems[1].name, "e1");
  EXPECT_NE(r->problems[1].reason.find("checksum"), std::string::npos) << r->problems[1].reason;
  EXPECT_EQ(r->problems[2].name, "sub");
  EXPECT_EQ(r->problems[3].name, "tmp.c1");
  EXPECT_NE(r->problems[3].reason.find("temporary"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/tmp.a1"));  // no temporary left behind on success
}

TEST_F(SpoolIo, ScanGivesEachMessagesLength) {
  auto big = entry("m1");
  big.message = std::string(100000, 'x') + "\r\n";
  ASSERT_TRUE(write_durably(dir_, "m1", encode(big)));
  ASSERT_TRUE(write_durably(dir_, "m2", encode(entry("m2"))));
  const auto r = scan(dir_);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->entries.size(), 2u);
  EXPECT_TRUE(r->entries[0].entry.message.empty());
  EXPECT_EQ(r->entries[0].message_bytes, big.message.size());
  EXPECT_EQ(r->entries[1].message_bytes, entry("m2").message.size());
}

TEST_F(SpoolIo, EachDurableWriteObservesAFileAndADirectoryFsync) {
  auto& fsync = metrics::process().spool_fsync;
  auto count = [&fsync](std::string_view target) {
    const auto buckets = fsync.with({target}).bucket_counts();
    std::uint64_t n = 0;
    for (auto b : buckets) n += b;
    return n;
  };
  const auto files = count("file"), directories = count("directory");
  ASSERT_TRUE(write_durably(dir_, "f1", encode(entry("f1"))));
  ASSERT_TRUE(write_durably(dir_, "f2", encode(entry("f2"))));
  EXPECT_EQ(count("file"), files + 2);
  EXPECT_EQ(count("directory"), directories + 2);
  // Moving a file aside writes its reason (file and directory) and fsyncs the spool directory.
  ASSERT_TRUE(move_aside(dir_, "f1", "test"));
  EXPECT_EQ(count("file"), files + 3);
  EXPECT_EQ(count("directory"), directories + 4);
}

TEST_F(SpoolIo, RewriteReplacesAtomically) {
  ASSERT_TRUE(write_durably(dir_, "q", encode(entry("old"))));
  SpoolEntry e = entry("new");
  e.attempts = 2;
  ASSERT_TRUE(write_durably(dir_, "q", encode(e)));
  const auto bytes = read_file(dir_ + "/q");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*decode(*bytes), e);
}

TEST_F(SpoolIo, MissingDirectoryIsAnErrorValue) {
  const auto w = write_durably(dir_ + "/nope", "q", "x");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ENOENT);
  EXPECT_FALSE(w.error().no_space());
  EXPECT_FALSE(scan(dir_ + "/nope"));
}

TEST_F(SpoolIo, DirectoryThatIsAFileIsAnErrorValue) {
  put("plain", "x");
  const auto w = write_durably(dir_ + "/plain", "q", "x");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ENOTDIR);
}

TEST_F(SpoolIo, ReadOnlyDirectoryIsAnErrorValue) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  const auto w = write_durably(dir_, "q", "x");
  fs::permissions(dir_, fs::perms::owner_all);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, EACCES);
}

TEST_F(SpoolIo, BadNamesAreRefused) {
  EXPECT_FALSE(write_durably(dir_, "tmp.x", "x"));
  EXPECT_FALSE(write_durably(dir_, "../x", "x"));
  EXPECT_FALSE(write_durably(dir_, "", "x"));
  EXPECT_FALSE(write_durably(dir_, "..", "x"));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SpoolIo, LockIsExclusiveUntilReleased) {
  auto first = lock_spool(dir_);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->held());
  // flock locks belong to the open file description: a second open conflicts even in-process.
  auto second = lock_spool(dir_);
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error().locked_elsewhere()) << second.error().message;
  *first = SpoolLock();
  auto third = lock_spool(dir_);
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_TRUE(third->held());
}

TEST_F(SpoolIo, LockOfAMissingDirectoryIsAnErrorValue) {
  auto lock = lock_spool(dir_ + "/nope");
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code, ENOENT);
  EXPECT_FALSE(lock.error().locked_elsewhere());
}

TEST_F(SpoolIo, ScanSkipsTheLockFileAndTheControlSocket) {
  auto lock = lock_spool(dir_);
  ASSERT_TRUE(lock) << lock.error().message;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = dir_ + "/control.sock";
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_TRUE(write_durably(dir_, "a1", encode(entry("a1"))));
  const auto r = scan(dir_);
  ::close(fd);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->entries.size(), 1u);
  EXPECT_EQ(r->entries[0].name, "a1");
  EXPECT_TRUE(r->problems.empty()) << r->problems.front().name << ": " << r->problems.front().reason;
}

TEST_F(SpoolIo, ScanSkipsTheReportsDirectoryButNotAFileOfThatName) {
  fs::create_directories(dir_ + "/reports/tls");
  put("reports/tls/2026-12-07.log", "x\n");
  ASSERT_TRUE(write_durably(dir_, "a1", encode(entry("a1"))));
  auto r = scan(dir_);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->entries.size(), 1u);
  EXPECT_TRUE(r->problems.empty()) << r->problems.front().name << ": " << r->problems.front().reason;
  // Another directory is still a problem.
  fs::create_directory(dir_ + "/reportsx");
  r = scan(dir_);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].name, "reportsx");
}

TEST(SpoolIoError, NoSpaceIsRecognised) {
  EXPECT_TRUE((SpoolIoError{ENOSPC, "write"}).no_space());
  EXPECT_TRUE((SpoolIoError{EDQUOT, "write"}).no_space());
  EXPECT_FALSE((SpoolIoError{EIO, "write"}).no_space());
}

}  // namespace
}  // namespace hikyaku::queue
