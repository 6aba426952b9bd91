// The SPF helper's sandbox (auth/spf_sandbox.hpp), seen from inside: the test helper enters it
// and reports what it can still do. A helper must not open a key file or create a socket.
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

extern char** environ;

namespace {

// Runs the test helper in "probe" mode against `path`; its one-line report.
std::string probe(const std::string& path) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return "socketpair failed";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sv[1], 3);
  std::string helper = HIKYAKU_SPF_TEST_HELPER, mode = "probe", target = path;
  char* argv[] = {helper.data(), mode.data(), target.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(sv[1]);
  std::string report;
  if (rc == 0) {
    char buf[512];
    ssize_t n;
    while ((n = ::read(sv[0], buf, sizeof buf)) > 0) report.append(buf, static_cast<size_t>(n));
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  ::close(sv[0]);
  return report;
}

class SpfSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/hikyaku-sandbox-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    key_ = dir_ + "/key.pem";
    std::ofstream(key_) << "-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n";
    ::chmod(dir_.c_str(), 0755);
    ::chmod(key_.c_str(), 0644);  // readable by anyone: only the filter can stop the helper
  }
  void TearDown() override {
    ::unlink(key_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, key_;
};

TEST_F(SpfSandboxTest, HelperCannotOpenFilesOrSockets) {
  // Outside the sandbox the same file opens: the refusal below is the sandbox's doing.
  const int fd = ::open(key_.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string report = probe(key_);
  EXPECT_NE(report.find("sandbox=ok "), std::string::npos) << report;
  EXPECT_NE(report.find(" open=EPERM"), std::string::npos) << report;
  EXPECT_NE(report.find(" openat=EPERM"), std::string::npos) << report;
  EXPECT_NE(report.find(" socket_inet=EPERM"), std::string::npos) << report;
  EXPECT_NE(report.find(" socket_inet6=EPERM"), std::string::npos) << report;
  EXPECT_NE(report.find(" socket_unix=EPERM"), std::string::npos) << report;
  EXPECT_NE(report.find(" setuid0=EPERM"), std::string::npos) << report;
  EXPECT_NE(report.find(" kill_parent=EPERM"), std::string::npos) << report;
}

TEST_F(SpfSandboxTest, StartedAsRootTheHelperIsNobodyInAnEmptyNetworkNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the drop to spf_helper_user happens only from root";
  const std::string report = probe(key_);
  EXPECT_NE(report.find("sandbox=ok "), std::string::npos) << report;
  EXPECT_NE(report.find(" uid=65534 euid=65534"), std::string::npos) << report;
  EXPECT_NE(report.find(" netns=yes"), std::string::npos) << report;
}

}  // namespace
