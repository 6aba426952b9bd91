// queue_command: one request over the control socket; offline, the same verbs on the spool
// files (list: scan; flush: next try set to now in each file; delete: unlink), under the spool's
// lock, so never beside a running server whose control socket does not answer. drain: DRAIN
// rounds against the running server until its queue is empty or the timeout passes.
#include "app/queue_command.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "config/loader.hpp"
#include "queue/control_protocol.hpp"
#include "queue/spool_io.hpp"

namespace hikyaku::app {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string span(std::int64_t seconds) {
  const bool negative = seconds < 0;
  if (negative) seconds = -seconds;
  std::string out;
  if (seconds >= 86400) out = fmt::format("{}d{}h", seconds / 86400, seconds % 86400 / 3600);
  else if (seconds >= 3600) out = fmt::format("{}h{}m", seconds / 3600, seconds % 3600 / 60);
  else if (seconds >= 60) out = fmt::format("{}m{}s", seconds / 60, seconds % 60);
  else out = fmt::format("{}s", seconds);
  return negative ? "-" + out : out;
}

void print_entries(const std::vector<queue::EntrySummary>& entries) {
  const std::int64_t now = unix_now();
  for (const auto& e : entries) {
    const std::string next = e.active ? std::string("now (in progress)")
                             : e.next_try <= now ? std::string("due")
                                                 : "in " + span(e.next_try - now);
    fmt::print("{}  age {}  attempts {}  next try {}  from <{}>\n", e.queue_id, span(now - e.arrival),
               e.attempts, next, e.sender);
    for (const auto& r : e.recipients) fmt::print("    to <{}>\n", r);
    if (!e.last_error.empty()) fmt::print("    last error: {}\n", e.last_error);
  }
  fmt::print("{} entr{}\n", entries.size(), entries.size() == 1 ? "y" : "ies");
}

// The files kept aside as unreadable (<spool>/corrupt), after the entries.
void print_corrupt(const std::vector<queue::CorruptFile>& corrupt) {
  if (corrupt.empty()) return;
  fmt::print("corrupt spool files kept aside ({}):\n", corrupt.size());
  for (const auto& c : corrupt) fmt::print("    {}: {}\n", c.name, c.reason);
}

// One request to the running server; nullopt when nothing listens at `path`.
std::optional<std::string> ask_server(const std::string& path, const std::string& request,
                                      std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    error = "control socket path too long: " + path;
    return std::string();
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return std::string();
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR) return std::nullopt;
    error = "connect " + path + ": " + std::strerror(err);
    return std::string();
  }
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    error = std::string("write: ") + std::strerror(errno);
  } else {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < queue::kMaxResponse) {
      out.append(buf, static_cast<std::size_t>(n));
    }
    if (n < 0) error = std::string("read: ") + std::strerror(errno);
  }
  ::close(fd);
  return out;
}

int offline(const config::Config& cfg, QueueVerb verb, const std::string& queue_id) {
  const std::string& dir = cfg.queue.directory;
  // A server holds this lock for its lifetime; without it the edits below would race its own
  // rewrites of the same files. Held until this function returns.
  auto lock = queue::lock_spool(dir);
  if (!lock) {
    if (lock.error().locked_elsewhere()) {
      fmt::print(stderr,
                 "a server is running on this spool but its control socket does not answer ({}); "
                 "nothing was changed\n",
                 cfg.queue.control_socket_path());
    } else {
      fmt::print(stderr, "cannot lock the spool: {}\n", lock.error().message);
    }
    return 2;
  }
  fmt::print("(offline: no server on {}; reading the spool {})\n", cfg.queue.control_socket_path(), dir);
  if (verb == QueueVerb::remove) {
    if (!queue::valid_queue_id(queue_id)) {
      fmt::print(stderr, "bad queue id {}\n", queue_id);
      return 2;
    }
    if (::unlink((dir + "/" + queue_id).c_str()) != 0) {
      fmt::print(stderr, "{}: {}\n", queue_id, std::strerror(errno));
      return 1;
    }
    fmt::print("deleted {}\n", queue_id);
    return 0;
  }
  auto scanned = queue::scan(dir);
  if (!scanned) {
    fmt::print(stderr, "{}\n", scanned.error().message);
    return 2;
  }
  for (const auto& p : scanned->problems) fmt::print(stderr, "skipped {}: {}\n", p.name, p.reason);
  if (verb == QueueVerb::flush) {
    const std::int64_t now = unix_now();
    std::size_t n = 0;
    for (auto& s : scanned->entries) {
      auto full = queue::read_entry(dir, s.name);  // the scan kept the metadata only
      if (!full) {
        fmt::print(stderr, "{}: {}\n", s.name, full.error().reason);
        continue;
      }
      full->next_try = now;
      if (auto w = queue::write_durably(dir, s.name, queue::encode(*full)); !w) {
        fmt::print(stderr, "{}: {}\n", s.name, w.error().message);
        continue;
      }
      ++n;
    }
    fmt::print("{} entr{} due at the next start\n", n, n == 1 ? "y" : "ies");
    return 0;
  }
  std::vector<queue::EntrySummary> entries;
  for (const auto& s : scanned->entries) {
    queue::EntrySummary e;
    e.queue_id = s.name;
    e.arrival = s.entry.arrival;
    e.sender = s.entry.mail_from;
    for (const auto& r : s.entry.recipients) {
      if (r.state == queue::RcptState::pending) e.recipients.push_back(r.address);
    }
    e.attempts = s.entry.attempts;
    e.next_try = s.entry.next_try;
    e.last_error = s.entry.last_error;
    entries.push_back(std::move(e));
  }
  print_entries(entries);
  std::vector<queue::CorruptFile> corrupt;
  for (const auto& c : queue::list_corrupt(dir)) corrupt.push_back({"corrupt/" + c.name, c.reason});
  // Found now, not yet kept aside (the server does that at its next start).
  for (const auto& p : scanned->problems) {
    if (p.corrupt) corrupt.push_back({p.name, p.reason + " (still in the spool)"});
  }
  print_corrupt(corrupt);
  return 0;
}

}  // namespace

namespace {

// One request to the running server: its answer; or, said on stderr, why there is none (status
// 2: unreadable, 1: refused by the server); or no server at all.
struct Exchange {
  std::optional<queue::ControlResponse> response;
  int status = 0;
  bool no_server = false;
};

Exchange ask_running_server(const std::string& path, const queue::ControlRequest& request) {
  Exchange out;
  std::string error;
  const auto raw = ask_server(path, queue::render_request(request), error);
  if (!raw) {
    out.no_server = true;
    return out;
  }
  if (!error.empty()) {
    fmt::print(stderr, "{}\n", error);
    out.status = 2;
    return out;
  }
  auto response = queue::parse_response(*raw);
  if (!response) {
    fmt::print(stderr, "bad answer from the server: {}\n", response.error());
    out.status = 2;
    return out;
  }
  if (!response->ok) {
    fmt::print(stderr, "{}\n", response->error);
    out.status = 1;
    return out;
  }
  out.response = std::move(*response);
  return out;
}

}  // namespace

std::optional<std::string> ask_control_socket(const std::string& path, const std::string& request,
                                              std::string& error) {
  return ask_server(path, request, error);
}

int queue_command(const std::string& config_path, QueueVerb verb, const std::string& queue_id) {
  auto loaded = config::load_file(config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  queue::ControlRequest request;
  request.verb = verb == QueueVerb::list    ? queue::ControlVerb::list
                 : verb == QueueVerb::flush ? queue::ControlVerb::flush
                                            : queue::ControlVerb::remove;
  request.queue_id = queue_id;
  if (verb == QueueVerb::remove && !queue::valid_queue_id(queue_id)) {
    fmt::print(stderr, "bad queue id {}\n", queue_id);
    return 2;
  }
  auto answer = ask_running_server(loaded->queue.control_socket_path(), request);
  if (answer.no_server) return offline(*loaded, verb, queue_id);
  if (!answer.response) return answer.status;
  auto& response = answer.response;
  switch (verb) {
    case QueueVerb::list: {
      print_entries(response->entries);
      std::vector<queue::CorruptFile> corrupt;
      for (const auto& c : response->corrupt) corrupt.push_back({"corrupt/" + c.name, c.reason});
      print_corrupt(corrupt);
      break;
    }
    case QueueVerb::flush:
      fmt::print("{} entr{} due now\n", response->count, response->count == 1 ? "y" : "ies");
      break;
    case QueueVerb::remove: fmt::print("deleted {}\n", queue_id); break;
  }
  return 0;
}

int queue_drain_command(const std::string& config_path, const DrainOptions& options) {
  auto loaded = config::load_file(config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  const std::string path = loaded->queue.control_socket_path();
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  auto next_round = start;  // the first request is a DRAIN (everything due now)
  std::vector<queue::EntrySummary> left;
  std::size_t last_count = SIZE_MAX;
  while (true) {
    const auto now = Clock::now();
    queue::ControlRequest request;
    request.verb = now >= next_round ? queue::ControlVerb::drain : queue::ControlVerb::list;
    if (request.verb == queue::ControlVerb::drain) next_round = now + options.retry_every;
    auto answer = ask_running_server(path, request);
    if (answer.no_server) {
      fmt::print(stderr, "no server answers on {}: only a running server can drain its queue\n", path);
      return 2;
    }
    if (!answer.response) return answer.status;
    left = std::move(answer.response->entries);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count();
    if (left.empty()) {
      fmt::print("queue empty after {}\n", span(elapsed));
      return 0;
    }
    if (left.size() != last_count || request.verb == queue::ControlVerb::drain) {
      std::size_t active = 0;
      for (const auto& e : left) active += e.active ? 1 : 0;
      fmt::print("{} entr{} left ({} being delivered) after {}\n", left.size(),
                 left.size() == 1 ? "y" : "ies", active, span(elapsed));
      std::fflush(stdout);
      last_count = left.size();
    }
    if (Clock::now() >= deadline) break;
    const auto wait = std::min<Clock::duration>(options.poll, deadline - Clock::now());
    if (wait > Clock::duration::zero()) std::this_thread::sleep_for(wait);
  }
  fmt::print("timed out after {}; still queued:\n", span(std::chrono::duration_cast<std::chrono::seconds>(
                                                          options.timeout).count()));
  print_entries(left);
  return 1;
}

}  // namespace hikyaku::app
