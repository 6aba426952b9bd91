// MTA-STS policies in <spool>/mta-sts/<domain> (RFC 8461 §5.1), written with the spool's durable
// write (queue/spool_io: tmp file, fsync, rename, fsync of the directory) on the spool workers.
// Writes of every store of the process go one at a time, so two configurations alive across a
// reload never interleave on one file; the latest policy for a domain is what gets written.
#include "app/mta_sts_spool_store.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "queue/spool_io.hpp"

namespace hikyaku::app {
namespace {

// Pending writes by file path (a policy, or nullopt for a removal), shared by every store.
std::mutex& writes_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, std::optional<std::string>>& pending_writes() {
  static std::map<std::string, std::optional<std::string>> pending;
  return pending;
}

// Writes (or removes) whatever is pending for directory/name now; the newest request wins.
void flush(const std::string& directory, const std::string& name) {
  std::lock_guard lock(writes_mutex());
  auto& pending = pending_writes();
  auto it = pending.find(directory + '/' + name);
  if (it == pending.end()) return;  // an earlier flush wrote the newest already
  const std::optional<std::string> bytes = std::move(it->second);
  pending.erase(it);
  if (!bytes) {
    if (::unlink((directory + '/' + name).c_str()) != 0 && errno != ENOENT) {
      spdlog::warn("mta-sts cache: cannot remove {}/{}: {}", directory, name, std::strerror(errno));
    }
    return;
  }
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    spdlog::warn("mta-sts cache: cannot create {}: {}", directory, std::strerror(errno));
    return;
  }
  if (auto r = queue::write_durably(directory, name, *bytes); !r) {
    spdlog::warn("mta-sts cache: {}", r.error().message);
  }
}

}  // namespace

MtaStsSpoolStore::MtaStsSpoolStore(std::string spool_directory, asio::thread_pool* writer, size_t max_file_size)
    : directory_(std::move(spool_directory) + '/' + std::string(kMtaStsDirName)),
      writer_(writer),
      max_file_size_(max_file_size) {}

std::vector<relay::CachedMtaStsPolicy> MtaStsSpoolStore::load() {
  std::vector<relay::CachedMtaStsPolicy> out;
  DIR* d = ::opendir(directory_.c_str());
  if (d == nullptr) {
    if (errno != ENOENT) spdlog::warn("mta-sts cache: cannot read {}: {}", directory_, std::strerror(errno));
    return out;
  }
  std::vector<std::string> names;
  while (const dirent* ent = ::readdir(d)) {
    const std::string_view n = ent->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  for (const auto& name : names) {
    const std::string path = directory_ + '/' + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (name.rfind("tmp.", 0) == 0) continue;  // a write a crash cut short; the next write replaces it
    std::string problem;
    if (static_cast<size_t>(st.st_size) > max_file_size_) {
      problem = "larger than " + std::to_string(max_file_size_) + " bytes";
    } else if (auto bytes = queue::read_file(path); !bytes) {
      spdlog::warn("mta-sts cache: {}", bytes.error().message);
      continue;  // unreadable now, perhaps not later: left alone
    } else if (auto cached = relay::parse_cached_policy(*bytes); !cached) {
      problem = cached.error();
    } else if (relay::mta_sts_cache_file_name(cached->domain) != name) {
      problem = "the file is named for another domain than " + cached->domain;
    } else {
      out.push_back(std::move(*cached));
      continue;
    }
    spdlog::warn("mta-sts cache: {}: {}{}", path, problem, writer_ ? "; removed" : "");
    if (writer_) ::unlink(path.c_str());
  }
  return out;
}

void MtaStsSpoolStore::save(const relay::CachedMtaStsPolicy& cached) {
  const std::string name = relay::mta_sts_cache_file_name(cached.domain);
  if (writer_ == nullptr || name.empty()) return;
  {
    std::lock_guard lock(writes_mutex());
    pending_writes()[directory_ + '/' + name] = relay::render_cached_policy(cached);
  }
  asio::post(*writer_, [dir = directory_, name] { flush(dir, name); });
}

void MtaStsSpoolStore::remove(const std::string& domain) {
  const std::string name = relay::mta_sts_cache_file_name(domain);
  if (writer_ == nullptr || name.empty()) return;
  {
    std::lock_guard lock(writes_mutex());
    pending_writes()[directory_ + '/' + name] = std::nullopt;
  }
  asio::post(*writer_, [dir = directory_, name] { flush(dir, name); });
}

}  // namespace hikyaku::app
