// `hikyaku queue list|flush|delete ID|drain` (DESIGN §4): against the running server's control
// socket ([queue] control_socket), or the spool itself when no server answers there (not drain).
#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace hikyaku::app {

enum class QueueVerb { list, flush, remove };

// Exit 0 ok, 1 no such entry or the server refused, 2 config error or unreadable spool.
int queue_command(const std::string& config_path, QueueVerb verb, const std::string& queue_id);

struct DrainOptions {
  std::chrono::milliseconds timeout = std::chrono::minutes(10);      // --timeout
  std::chrono::milliseconds retry_every = std::chrono::seconds(10);  // --retry-every
  std::chrono::milliseconds poll = std::chrono::seconds(1);          // between list requests
};

// `hikyaku queue drain`: every entry due now, again every retry_every, until the running
// server's queue is empty (exit 0) or the timeout passes (exit 1, the entries left listed).
// Exit 2 when no server answers or the config is unusable: an offline spool cannot drain.
int queue_drain_command(const std::string& config_path, const DrainOptions& options);

// One request line to the running server's control socket at `path`, and its whole response;
// nullopt when nothing listens there, "" with `error` set when the exchange failed.
std::optional<std::string> ask_control_socket(const std::string& path, const std::string& request,
                                              std::string& error);

}  // namespace hikyaku::app
