// The configuration in force and what is built from it (router, TLS context, sink factory).
// SIGHUP swaps in a new one; sessions in progress keep the one they started with.
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/expected.hpp"
#include "routing/router.hpp"
#include "smtpd/server.hpp"

namespace hikyaku::app {

// Builds a session environment from a loaded config: the router, the TLS context and the sink.
core::Expected<std::shared_ptr<const smtpd::SessionEnvironment>, std::string> build_environment(
    std::shared_ptr<const config::Config> config);

class Runtime {
 public:
  explicit Runtime(std::shared_ptr<const smtpd::SessionEnvironment> initial);
  std::shared_ptr<const smtpd::SessionEnvironment> current() const { return current_.load(); }
  // Loads `path` again. On any error the old configuration stays and the reasons are logged.
  bool reload(const std::string& path);

 private:
  std::atomic<std::shared_ptr<const smtpd::SessionEnvironment>> current_;
};

}  // namespace hikyaku::app
