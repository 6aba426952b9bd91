// Unit tests for app/user_access: the POSIX permission bits as the service user sees them.
#include "app/user_access.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace hikyaku::app {
namespace {

struct stat file(uid_t uid, gid_t gid, mode_t mode) {
  struct stat st {};
  st.st_uid = uid;
  st.st_gid = gid;
  st.st_mode = mode;
  return st;
}

TEST(UserAccess, OwnerGroupAndOtherBits) {
  const Identity user{1000, {1000, 27}};
  EXPECT_TRUE(may_access(file(1000, 0, S_IFREG | 0600), user, R_OK));
  EXPECT_FALSE(may_access(file(0, 0, S_IFREG | 0600), user, R_OK));
  EXPECT_TRUE(may_access(file(0, 27, S_IFREG | 0640), user, R_OK));       // supplementary group
  EXPECT_FALSE(may_access(file(0, 27, S_IFREG | 0640), user, W_OK));
  EXPECT_TRUE(may_access(file(0, 0, S_IFREG | 0604), user, R_OK));        // other
  // The owner class decides even when the group or other class would allow (POSIX).
  EXPECT_FALSE(may_access(file(1000, 1000, S_IFREG | 0077), user, R_OK));
  EXPECT_TRUE(may_access(file(1000, 0, S_IFDIR | 0700), user, R_OK | W_OK | X_OK));
  EXPECT_FALSE(may_access(file(1000, 0, S_IFDIR | 0600), user, R_OK | W_OK | X_OK));
}

TEST(UserAccess, RootReadsAndWritesAnythingButExecutesOnlyWithAnXBit) {
  const Identity root{0, {0}};
  EXPECT_TRUE(may_access(file(1000, 1000, S_IFREG | 0000), root, R_OK | W_OK));
  EXPECT_TRUE(may_access(file(1000, 1000, S_IFDIR | 0000), root, X_OK));
  EXPECT_FALSE(may_access(file(1000, 1000, S_IFREG | 0644), root, X_OK));
  EXPECT_TRUE(may_access(file(1000, 1000, S_IFREG | 0001), root, X_OK));
}

TEST(UserAccess, UnknownUserAndUnsetUser) {
  config::Config c;
  EXPECT_TRUE(unusable_by_service_user(c).empty());
  c.server.user = "no-such-user-hikyaku-test";
  EXPECT_EQ(unusable_by_service_user(c), std::vector<std::string>{"server.user no-such-user-hikyaku-test: no such user"});
}

}  // namespace
}  // namespace hikyaku::app
