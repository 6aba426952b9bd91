// `[server] reload_on_change`: the configuration file watched with inotify(7) on its directory,
// so both an edit in place and a symlink swap (a Kubernetes ConfigMap volume replaces its
// `..data` link) are seen. A change of the file's content, after reload_quiet without another, is reloaded
// through the SIGHUP path itself (the same validation, swap, logs and systemd notifications).
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "core/asio.hpp"

namespace hikyaku::app {

class ConfigWatcher {
 public:
  // Starts watching `config_path` on `executor`'s loop; a no-op object (with a logged reason)
  // when inotify is unavailable.
  // A change is read once `quiet` has passed without a further one ([server] reload_quiet).
  ConfigWatcher(asio::any_io_executor executor, std::string config_path,
                std::chrono::steady_clock::duration quiet = std::chrono::seconds(1));
  ~ConfigWatcher();
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace hikyaku::app
