// Whether the service user ([server] user) can use what the configuration names once root is
// gone: the spool (read, write, search: POSIX.1 permission bits for the user's uid and groups)
// and every key and certificate file (read, for reloads). Checked by `hikyaku check` and before
// the server starts, so a mistake is an error at once rather than a failure at the first
// message or reload.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "config/config.hpp"

namespace hikyaku::app {

struct Identity {
  uid_t uid = 0;
  std::vector<gid_t> groups;  // primary first
};

// POSIX permission check of `st` for `who`: `want` is a mask of R_OK, W_OK, X_OK. Root passes
// read/write and search of directories, and execute when any x bit is set.
bool may_access(const struct stat& st, const Identity& who, int want);

// Problems, one sentence each ("queue.directory /var/spool/hikyaku: user hikyaku cannot write
// it (owner root, mode 0700)"); empty when server.user is unset or everything is usable. An
// unknown user is itself a problem.
std::vector<std::string> unusable_by_service_user(const config::Config& config);

}  // namespace hikyaku::app
