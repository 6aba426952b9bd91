// The SPF helper launcher (DESIGN §3): started while the relay still has root, it keeps only
// the power to start SPF helpers as their own user and to kill them. The relay, once it has
// dropped to server.user, asks it for a helper and receives the helper's socket (SCM_RIGHTS,
// unix(7)); so helpers never share the relay's uid and cannot read its keys or spool.
#pragma once
#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hikyaku::auth {

struct LaunchedHelper {
  pid_t pid = -1;
  int fd = -1;  // the relay's end of the helper's socket; the caller owns it
};

// The relay's handle on the launcher process. Thread-safe; blocking calls of a few
// milliseconds (a fork and one message each way).
class SpfLauncher {
 public:
  // Starts `program spf-launcher helper_user` (program: "/proc/self/exe" in the relay) with
  // its control socket on fd 3. Must be called with root privileges; nullptr when the
  // process could not be started.
  static std::unique_ptr<SpfLauncher> start(const std::string& program, const std::string& helper_user);
  // The launcher of another service ([auth] spf_launcher_socket: a systemd socket unit runs it
  // as its own user, deploy/systemd/hikyaku-spf.*): a SOCK_SEQPACKET connection to `path`.
  // nullptr (errno set) when it cannot be reached. Needs no privileges.
  static std::unique_ptr<SpfLauncher> connect(const std::string& path);
  ~SpfLauncher();  // closes the control socket: the launcher kills its helpers and exits
  SpfLauncher(const SpfLauncher&) = delete;
  SpfLauncher& operator=(const SpfLauncher&) = delete;

  // A new helper (`program spf-helper helper_user`, socket on fd 3), or nullopt.
  std::optional<LaunchedHelper> spawn();
  // SIGKILL to a helper it started and has not yet seen exit; anything else is ignored.
  void kill(pid_t pid);
  pid_t pid() const { return pid_; }  // -1 for a launcher reached through its socket

 private:
  SpfLauncher(pid_t pid, int control) : pid_(pid), control_(control) {}
  std::mutex mutex_;
  pid_t pid_;
  int control_;
};

// Starts `args` (args[0] the program) with `fd` as the child's descriptor 3, an empty signal
// mask and default dispositions; the pid, or -1.
pid_t spawn_with_fd3(const std::vector<std::string>& args, int fd);

// The launcher process itself (hidden verb `spf-launcher USER`): serves requests on
// `control_fd` until the relay closes it. When `control_fd` is a listening socket (systemd
// socket activation passes it as descriptor 3), serves one relay connection after another
// instead, each one's helpers killed when it closes. Returns the exit status.
int spf_launcher_main(int control_fd, const std::string& helper_user);

}  // namespace hikyaku::auth
