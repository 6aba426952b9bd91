// The SPF helper program of the unit tests (the relay's is `hikyaku spf-helper`): serves
// auth::spf_helper_main on fd 3. With a mode argument it misbehaves on purpose, for the pool's
// failure tests: "hang" reads the request and never answers, "garbage" answers with a frame
// of an unknown type, "exit" exits on the first request. "probe PATH" enters the sandbox and
// reports on fd 3 what it can still do: open PATH, create sockets, its uid and network namespace.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "auth/spf_helper_main.hpp"
#include "auth/spf_launcher.hpp"
#include "auth/spf_sandbox.hpp"

namespace {

// "ok" when the call succeeded, else its errno name.
std::string outcome(int rc) { return rc >= 0 ? "ok" : (errno == EPERM ? "EPERM" : std::to_string(errno)); }

[[noreturn]] void probe(const char* path) {
  const auto sandbox = hikyaku::auth::enter_spf_sandbox(3, "nobody");
  std::string report = "sandbox=" + std::string(sandbox.ok ? "ok" : sandbox.failure) +
                       " netns=" + (sandbox.network_namespace ? "yes" : "no") +
                       " uid=" + std::to_string(::getuid()) + " euid=" + std::to_string(::geteuid());
  report += " open=" + outcome(::open(path, O_RDONLY));
  report += " openat=" + outcome(::openat(AT_FDCWD, path, O_RDONLY));
  report += " socket_inet=" + outcome(::socket(AF_INET, SOCK_STREAM, 0));
  report += " socket_inet6=" + outcome(::socket(AF_INET6, SOCK_DGRAM, 0));
  report += " socket_unix=" + outcome(::socket(AF_UNIX, SOCK_STREAM, 0));
  report += " setuid0=" + outcome(::setuid(0));
  report += " kill_parent=" + outcome(::kill(::getppid(), 0));
  report += "\n";
  if (::write(3, report.data(), report.size()) < 0) _exit(1);
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return hikyaku::auth::spf_helper_main(3);
  // As the relay's binary: the launcher, and the helpers it starts (argv[2] the helper user).
  if (argc == 3 && std::strcmp(argv[1], "spf-launcher") == 0) {
    return hikyaku::auth::spf_launcher_main(3, argv[2]);
  }
  if (argc == 3 && std::strcmp(argv[1], "spf-helper") == 0) return hikyaku::auth::spf_helper_main(3, argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "probe") == 0) probe(argv[2]);
  char buf[4096];
  if (::read(3, buf, sizeof buf) <= 0) return 0;
  if (std::strcmp(argv[1], "hang") == 0) {
    for (;;) ::pause();
  }
  if (std::strcmp(argv[1], "garbage") == 0) {
    const char frame[] = {0, 0, 0, 2, 9, 9};
    if (::write(3, frame, sizeof frame) != sizeof frame) return 1;
    ::sleep(30);
  }
  return 0;
}
