// The SPF helper launcher (spf_launcher.hpp): a request/reply protocol over a SOCK_SEQPACKET
// pair (one datagram a message), helpers' sockets passed with SCM_RIGHTS (unix(7)).
// Requests: "S" (start a helper; reply: its pid as 4 bytes + the socket) and "K" + pid (kill).
// The pair comes from the relay that started the launcher, or from accepting on the listening
// socket of a systemd socket unit (sd_listen_fds(3): descriptor 3).
#include "auth/spf_launcher.hpp"

#include <linux/capability.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "auth/spf_sandbox.hpp"

extern char** environ;

namespace hikyaku::auth {
namespace {

constexpr int kControlFd = 3;  // the launcher's control socket, and each helper's socket
constexpr char kSpawn = 'S';
constexpr char kKill = 'K';

}  // namespace

pid_t spawn_with_fd3(const std::vector<std::string>& args, int fd) {
  int child_fd = fd;
  if (child_fd == kControlFd) {
    // dup2(3, 3) would keep FD_CLOEXEC and the child would start without its socket.
    child_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, kControlFd + 1);
    if (child_fd < 0) return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_fd, kControlFd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (child_fd != fd) ::close(child_fd);
  return rc == 0 ? pid : -1;
}

namespace {

bool send_reply(int control, int32_t pid, int fd) {
  char data[sizeof pid];
  std::memcpy(data, &pid, sizeof pid);
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control_buf[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control_buf;
    msg.msg_controllen = sizeof control_buf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t n;
  do n = ::sendmsg(control, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof data);
}

// What a helper started as root may use (the bounding set caps every program the launcher
// starts): switching to its user and unsharing its network namespace. The launcher keeps
// CAP_KILL for its helpers. Best effort: without CAP_SETPCAP nothing is dropped.
void keep_only_helper_capabilities() {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (cap == CAP_SETUID || cap == CAP_SETGID || cap == CAP_SYS_ADMIN || cap == CAP_KILL) continue;
    ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  }
}

// Reaps every helper that has exited. A helper not yet reaped keeps its pid, so a kill of a
// pid still in `live` never reaches another process.
void reap(std::set<pid_t>& live) {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) live.erase(pid);
}

}  // namespace

namespace {

// Serves one relay on `control_fd` until it closes its end; then kills and reaps the helpers
// it asked for.
void serve_relay(int control_fd, const std::vector<std::string>& helper_args) {
  std::set<pid_t> live;
  for (;;) {
    char request[8] = {};
    const ssize_t n = ::recv(control_fd, request, sizeof request, 0);
    const bool interrupted = n < 0 && errno == EINTR;  // before reap() sets errno (ECHILD)
    reap(live);
    if (interrupted) continue;
    if (n <= 0) break;  // the relay closed its end (or is gone)
    if (request[0] == kSpawn && n == 1) {
      int sv[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        send_reply(control_fd, -1, -1);
        continue;
      }
      const pid_t pid = spawn_with_fd3(helper_args, sv[1]);
      ::close(sv[1]);
      if (pid > 0) live.insert(pid);
      send_reply(control_fd, pid, pid > 0 ? sv[0] : -1);
      ::close(sv[0]);
    } else if (request[0] == kKill && n == 1 + static_cast<ssize_t>(sizeof(int32_t))) {
      int32_t pid = 0;
      std::memcpy(&pid, request + 1, sizeof pid);
      if (pid > 0 && live.count(pid) != 0) ::kill(pid, SIGKILL);
    } else {
      std::fprintf(stderr, "hikyaku spf-launcher: malformed request\n");
      break;
    }
  }
  for (pid_t pid : live) ::kill(pid, SIGKILL);
  while (!live.empty()) {
    const pid_t pid = ::waitpid(-1, nullptr, 0);
    if (pid < 0 && errno != EINTR) break;
    if (pid > 0) live.erase(pid);
  }
}

bool is_listening(int fd) {
  int listening = 0;
  socklen_t length = sizeof listening;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0;
}

}  // namespace

int spf_launcher_main(int control_fd, const std::string& helper_user) {
  const bool socket_unit = is_listening(control_fd);
  if (!socket_unit) {
    // Started by the relay: dies with it.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return 2;
    if (::getppid() == 1) return 2;  // the relay is already gone
  }
  // Keeps nothing open but its control socket and stderr.
  if (!close_all_but(control_fd)) return 2;
  keep_only_helper_capabilities();
  std::signal(SIGPIPE, SIG_IGN);
  // SIGCHLD interrupts the wait for a request (no SA_RESTART), so exited helpers are reaped
  // when they exit rather than at the next request.
  struct sigaction on_child {};
  on_child.sa_handler = [](int) {};
  sigemptyset(&on_child.sa_mask);
  ::sigaction(SIGCHLD, &on_child, nullptr);
  const std::vector<std::string> helper_args = {"/proc/self/exe", "spf-helper", helper_user};
  if (!socket_unit) {
    serve_relay(control_fd, helper_args);
    return 0;
  }
  // One relay at a time (a relay holds one connection for its life); the next one waits in
  // the backlog. The socket's owner and mode (SocketUser=, SocketMode=0600) say who may ask.
  for (;;) {
    const int relay = ::accept4(control_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (relay < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::fprintf(stderr, "hikyaku spf-launcher: accept: %s\n", std::strerror(errno));
      return 2;
    }
    serve_relay(relay, helper_args);
    ::close(relay);
  }
}

std::unique_ptr<SpfLauncher> SpfLauncher::connect(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) {
    errno = ENAMETOOLONG;
    return nullptr;
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return nullptr;
  }
  return std::unique_ptr<SpfLauncher>(new SpfLauncher(-1, fd));
}

std::unique_ptr<SpfLauncher> SpfLauncher::start(const std::string& program, const std::string& helper_user) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return nullptr;
  const pid_t pid = spawn_with_fd3({program, "spf-launcher", helper_user}, sv[1]);
  ::close(sv[1]);
  if (pid <= 0) {
    ::close(sv[0]);
    return nullptr;
  }
  return std::unique_ptr<SpfLauncher>(new SpfLauncher(pid, sv[0]));
}

SpfLauncher::~SpfLauncher() {
  ::close(control_);
  int status = 0;
  while (pid_ > 0 && ::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

std::optional<LaunchedHelper> SpfLauncher::spawn() {
  std::lock_guard lock(mutex_);
  const char request = kSpawn;
  ssize_t n;
  do n = ::send(control_, &request, 1, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != 1) return std::nullopt;
  int32_t pid = -1;
  iovec iov{&pid, sizeof pid};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control_buf[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control_buf;
  msg.msg_controllen = sizeof control_buf;
  do n = ::recvmsg(control_, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  int fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); n > 0 && c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    }
  }
  if (n != static_cast<ssize_t>(sizeof pid) || pid <= 0 || fd < 0) {
    if (fd >= 0) ::close(fd);
    return std::nullopt;
  }
  return LaunchedHelper{pid, fd};
}

void SpfLauncher::kill(pid_t pid) {
  std::lock_guard lock(mutex_);
  char request[1 + sizeof(int32_t)];
  request[0] = kKill;
  const int32_t value = pid;
  std::memcpy(request + 1, &value, sizeof value);
  ssize_t n;
  do n = ::send(control_, request, sizeof request, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
}

}  // namespace hikyaku::auth
