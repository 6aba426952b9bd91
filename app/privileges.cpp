// drop_privileges: initgroups + setgid + setuid, then a check that root cannot be regained.
#include "app/privileges.hpp"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace hikyaku::app {

std::string drop_privileges(const std::string& user) {
  errno = 0;
  const passwd* pw = getpwnam(user.c_str());
  if (!pw) return "no such user \"" + user + "\"";
  if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid) return {};
  if (geteuid() != 0) return "not started as root, cannot switch to \"" + user + "\"";
  if (initgroups(pw->pw_name, pw->pw_gid) != 0) return std::string("initgroups: ") + std::strerror(errno);
  if (setgid(pw->pw_gid) != 0) return std::string("setgid: ") + std::strerror(errno);
  if (setuid(pw->pw_uid) != 0) return std::string("setuid: ") + std::strerror(errno);
  if (pw->pw_uid != 0 && setuid(0) == 0) return "setuid(0) still works after dropping privileges";
  return {};
}

}  // namespace hikyaku::app
