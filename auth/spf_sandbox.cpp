// The SPF helper's sandbox (spf_sandbox.hpp): namespaces (unshare(2), user_namespaces(7)),
// credentials, rlimits and a libseccomp allowlist (seccomp(2)). Linux only.
#include "auth/spf_sandbox.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <initializer_list>

namespace hikyaku::auth {
namespace {

// Limits that bound what a hostile record can make libspf2 do here. The relay's per-check
// timeout is the real bound on time; RLIMIT_CPU is a backstop for a helper spinning anyway.
constexpr rlim_t kAddressSpace = 512ull * 1024 * 1024;
constexpr rlim_t kCpuSeconds = 600;
constexpr rlim_t kOpenFiles = 16;

std::string failed(const char* step) { return std::string(step) + ": " + std::strerror(errno); }

bool set_limit(int resource, rlim_t value) {
  rlimit current{};
  if (getrlimit(resource, &current) != 0) return false;
  rlimit want{value, value};
  if (current.rlim_max != RLIM_INFINITY && current.rlim_max < value) want = current;
  return setrlimit(resource, &want) == 0;
}

// A helper never keeps root, even when the relay does: it becomes helper_user (nobody by
// default), with no supplementary groups.
bool drop_root(const std::string& helper_user) {
  if (geteuid() != 0) return true;
  const passwd* pw = getpwnam(helper_user.c_str());
  if (pw == nullptr && helper_user != "nobody") {
    errno = ENOENT;
    return false;
  }
  const uid_t uid = pw ? pw->pw_uid : 65534;
  const gid_t gid = pw ? pw->pw_gid : 65534;
  if (uid == 0 || gid == 0) {
    errno = EPERM;
    return false;
  }
  return setgroups(0, nullptr) == 0 && setgid(gid) == 0 && setuid(uid) == 0 && geteuid() != 0 &&
         getegid() != 0 && setuid(0) != 0;  // the last: root cannot be taken back
}

// An empty network namespace: no interface but a down loopback, so even a syscall the filter
// let through could reach nothing. Root may unshare it directly; an unprivileged helper needs
// a user namespace of its own first, which some kernels and container runtimes refuse.
bool unshare_network() {
  if (geteuid() == 0) return unshare(CLONE_NEWNET) == 0;
  return unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0;
}

// The allowlist: I/O on descriptors already open (the socket to the relay, stderr), memory,
// time, the host name (libspf2 reads it at start-up), signals to itself, exit. Anything else
// fails with EPERM: open/openat (no key, no spool file), socket/connect, execve, ptrace, kill
// of another process, setuid and friends.
bool install_seccomp() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (ctx == nullptr) return false;
  bool ok = true;
  for (int call : {SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
                   SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
                   SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
                   SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
                   SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(getrandom),
                   SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
                   SCMP_SYS(time), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
                   SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid),
                   SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(uname),
                   SCMP_SYS(sched_yield),
                   SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
                   SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall), SCMP_SYS(exit),
                   SCMP_SYS(exit_group)}) {
    ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, 0) == 0;
  }
  // abort() and raise() signal the helper itself, never another process.
  const auto self = static_cast<scmp_datum_t>(getpid());
  ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, self)) == 0;
  ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_EQ, self)) == 0;
  ok = ok && seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  return ok;
}

}  // namespace

bool close_all_but(int keep) {
  // close_range(2) over the gaps around stderr (2) and `keep`.
  const unsigned a = 2, b = static_cast<unsigned>(keep);
  const unsigned lo = a < b ? a : b, hi = a < b ? b : a;
  if (lo > 0 && close_range(0, lo - 1, 0) != 0) return false;
  if (hi > lo + 1 && close_range(lo + 1, hi - 1, 0) != 0) return false;
  return close_range(hi + 1, ~0u, 0) == 0;
}

SandboxReport enter_spf_sandbox(int fd, const std::string& helper_user) {
  SandboxReport report;
  report.network_namespace = unshare_network();
  if (!drop_root(helper_user)) {
    report.failure = failed("dropping root");
    return report;
  }
  if (!close_all_but(fd)) {
    report.failure = failed("closing descriptors");
    return report;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    report.failure = failed("prctl");
    return report;
  }
  std::signal(SIGPIPE, SIG_IGN);
  bool limits = set_limit(RLIMIT_CPU, kCpuSeconds) && set_limit(RLIMIT_NOFILE, kOpenFiles) &&
                set_limit(RLIMIT_CORE, 0);
#if !defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of shadow address space; the sanitized test build
  // runs without this one limit.
  limits = limits && set_limit(RLIMIT_AS, kAddressSpace);
#endif
  if (!limits) {
    report.failure = failed("resource limits");
    return report;
  }
  if (!install_seccomp()) {
    report.failure = failed("seccomp filter");
    return report;
  }
  report.ok = true;
  return report;
}

}  // namespace hikyaku::auth
