// app/user_access: getpwnam/getgrouplist for the identity, stat(2) for each path.
#include "app/user_access.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

namespace hikyaku::app {

namespace {

std::optional<Identity> identity_of(const std::string& user) {
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) return std::nullopt;
  Identity id;
  id.uid = pw->pw_uid;
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    ::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count);
  }
  groups.resize(static_cast<size_t>(std::max(count, 0)));
  id.groups.push_back(pw->pw_gid);
  for (const gid_t g : groups) {
    if (g != pw->pw_gid) id.groups.push_back(g);
  }
  return id;
}

std::string owner_and_mode(const struct stat& st) {
  const passwd* pw = ::getpwuid(st.st_uid);
  return fmt::format("owner {}, mode {:04o}", pw != nullptr ? std::string(pw->pw_name) : std::to_string(st.st_uid),
                     st.st_mode & 07777);
}

const char* wanted_text(int want) {
  if (want == (R_OK | X_OK)) return "read";
  if ((want & W_OK) != 0) return "write to";
  return "read";
}

// A problem with `path` for `who`, or "" (missing files are the loader's business).
std::string check_path(const std::string& what, const std::string& path, const std::string& user,
                       const Identity& who, int want) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  if (may_access(st, who, want)) {
    // Every directory above must be searchable too.
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    while (!dir.empty() && dir != dir.root_path()) {
      struct stat up {};
      if (::stat(dir.c_str(), &up) == 0 && !may_access(up, who, X_OK)) {
        return fmt::format("{} {}: user {} cannot reach it: {} is not searchable ({})", what, path, user,
                           dir.string(), owner_and_mode(up));
      }
      dir = dir.parent_path();
    }
    return "";
  }
  return fmt::format("{} {}: user {} cannot {} it ({})", what, path, user, wanted_text(want), owner_and_mode(st));
}

}  // namespace

bool may_access(const struct stat& st, const Identity& who, int want) {
  if (who.uid == 0) {
    if ((want & X_OK) == 0 || S_ISDIR(st.st_mode)) return true;
    return (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
  }
  mode_t bits = 0;
  if (st.st_uid == who.uid) {
    bits = (st.st_mode >> 6) & 07;
  } else if (std::find(who.groups.begin(), who.groups.end(), st.st_gid) != who.groups.end()) {
    bits = (st.st_mode >> 3) & 07;
  } else {
    bits = st.st_mode & 07;
  }
  const mode_t need = ((want & R_OK) ? 04 : 0) | ((want & W_OK) ? 02 : 0) | ((want & X_OK) ? 01 : 0);
  return (bits & need) == need;
}

std::vector<std::string> unusable_by_service_user(const config::Config& c) {
  std::vector<std::string> out;
  const std::string& user = c.server.user;
  if (user.empty()) return out;
  const auto who = identity_of(user);
  if (!who) {
    out.push_back(fmt::format("server.user {}: no such user", user));
    return out;
  }
  auto add = [&out](std::string problem) {
    if (!problem.empty()) out.push_back(std::move(problem));
  };
  // The spool: created by the server when missing (then its parent must take a new directory).
  struct stat st {};
  if (::stat(c.queue.directory.c_str(), &st) == 0) {
    add(check_path("queue.directory", c.queue.directory, user, *who, R_OK | W_OK | X_OK));
  } else {
    const std::string parent = std::filesystem::path(c.queue.directory).parent_path().string();
    add(check_path("queue.directory's parent", parent, user, *who, W_OK | X_OK));
  }
  for (const auto& key : c.dkim_keys) add(check_path("dkim.key private_key", key.private_key, user, *who, R_OK));
  if (c.arc.enabled) add(check_path("arc.private_key", c.arc.private_key, user, *who, R_OK));
  if (c.server.tls) {
    add(check_path("server.tls.certificate", c.server.tls->certificate, user, *who, R_OK));
    add(check_path("server.tls.private_key", c.server.tls->private_key, user, *who, R_OK));
  }
  return out;
}

}  // namespace hikyaku::app
