// app/config_watcher: inotify on the configuration's directory, a debounce timer, a content
// comparison, then SIGHUP to this process.
#include "app/config_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <spdlog/spdlog.h>

namespace hikyaku::app {

namespace {

std::string content_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return in ? out.str() : std::string();
}

}  // namespace

struct ConfigWatcher::State : std::enable_shared_from_this<ConfigWatcher::State> {
  State(asio::any_io_executor executor, std::string path, std::chrono::steady_clock::duration quiet_for)
      : path(std::move(path)), quiet_for(quiet_for), stream(executor), quiet(executor) {}

  std::string path;
  std::chrono::steady_clock::duration quiet_for;
  std::string name;  // the file's name in its directory
  std::string seen;  // its content at start or at the last reload asked
  asio::posix::stream_descriptor stream;
  asio::steady_timer quiet;
  std::array<char, 4096> buffer{};

  void read() {
    stream.async_read_some(asio::buffer(buffer), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) return;  // closed: the watcher is gone
      bool relevant = false;
      for (size_t at = 0; at + sizeof(inotify_event) <= n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(self->buffer.data() + at);
        const std::string changed = event->len > 0 ? std::string(event->name) : std::string();
        // The file itself, or a ConfigMap's "..data" link swapped under it.
        if (changed == self->name || changed == "..data") relevant = true;
        at += sizeof(inotify_event) + event->len;
      }
      if (relevant) self->settle();
      self->read();
    });
  }

  // Waits for quiet_for without changes (an editor or kubelet writes in several steps).
  void settle() {
    quiet.expires_after(quiet_for);
    quiet.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      std::string now = content_of(self->path);
      if (now.empty() || now == self->seen) {
        spdlog::debug("{} touched, content unchanged: no reload", self->path);
        return;
      }
      self->seen = std::move(now);
      spdlog::info("{} changed: reloading (server.reload_on_change)", self->path);
      ::kill(::getpid(), SIGHUP);
    });
  }
};

ConfigWatcher::ConfigWatcher(asio::any_io_executor executor, std::string config_path,
                             std::chrono::steady_clock::duration quiet)
    : state_(std::make_shared<State>(std::move(executor), std::move(config_path), quiet)) {
  const std::filesystem::path path(state_->path);
  state_->name = path.filename().string();
  const std::string dir = path.has_parent_path() ? path.parent_path().string() : std::string(".");
  state_->seen = content_of(state_->path);
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    spdlog::warn("server.reload_on_change: inotify unavailable ({}); reload with SIGHUP", std::strerror(errno));
    return;
  }
  if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
    spdlog::warn("server.reload_on_change: cannot watch {} ({}); reload with SIGHUP", dir, std::strerror(errno));
    ::close(fd);
    return;
  }
  state_->stream.assign(fd);
  state_->read();
  spdlog::info("watching {} for changes (server.reload_on_change)", state_->path);
}

ConfigWatcher::~ConfigWatcher() {
  boost::system::error_code ignored;
  state_->quiet.cancel();
  state_->stream.close(ignored);
}

}  // namespace hikyaku::app
