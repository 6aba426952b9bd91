// The SPF helper process loop (spf_helper_main.hpp): hardening, then check request ->
// DNS queries answered by the relay -> verdict, over blocking reads and writes on one socket.
// The evaluation itself (RFC 7208 §2.3, §2.4, §4.6.4) is spf_evaluator's.
#include "auth/spf_helper_main.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>

#include "auth/spf_evaluator.hpp"
#include "auth/spf_wire.hpp"

namespace hikyaku::auth {
namespace {

// Limits that bound what a hostile record can make libspf2 do here. The relay's per-check
// timeout is the real bound on time; RLIMIT_CPU is a backstop for a helper spinning anyway.
constexpr rlim_t kAddressSpace = 512ull * 1024 * 1024;
constexpr rlim_t kCpuSeconds = 600;
constexpr rlim_t kOpenFiles = 16;

bool close_all_but(int keep) {
  // close_range(2) over the gaps around stderr (2) and `keep`.
  const unsigned a = 2, b = static_cast<unsigned>(keep);
  const unsigned lo = a < b ? a : b, hi = a < b ? b : a;
  if (lo > 0 && close_range(0, lo - 1, 0) != 0) return false;
  if (hi > lo + 1 && close_range(lo + 1, hi - 1, 0) != 0) return false;
  return close_range(hi + 1, ~0u, 0) == 0;
}

bool set_limit(int resource, rlim_t value) {
  rlimit current{};
  if (getrlimit(resource, &current) != 0) return false;
  rlimit want{value, value};
  if (current.rlim_max != RLIM_INFINITY && current.rlim_max < value) want = current;
  return setrlimit(resource, &want) == 0;
}

// A helper never keeps root, even when the relay does (no [server] user): libspf2 parses
// attacker-controlled records (DESIGN §3). It becomes nobody, with no supplementary groups.
bool drop_root() {
  if (geteuid() != 0) return true;
  const passwd* pw = getpwnam("nobody");
  const uid_t uid = pw ? pw->pw_uid : 65534;
  const gid_t gid = pw ? pw->pw_gid : 65534;
  return setgroups(0, nullptr) == 0 && setgid(gid) == 0 && setuid(uid) == 0 && geteuid() != 0 &&
         getegid() != 0;
}

bool harden(int fd) {
  if (!drop_root()) return false;
  if (!close_all_but(fd)) return false;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return false;
  std::signal(SIGPIPE, SIG_IGN);
  bool ok = set_limit(RLIMIT_CPU, kCpuSeconds) && set_limit(RLIMIT_NOFILE, kOpenFiles) &&
            set_limit(RLIMIT_CORE, 0);
#if !defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of shadow address space; the sanitized test build
  // runs without this one limit.
  ok = ok && set_limit(RLIMIT_AS, kAddressSpace);
#endif
  return ok;
}

bool read_exact(int fd, char* out, size_t n) {
  while (n > 0) {
    const ssize_t got = ::read(fd, out, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    done += static_cast<size_t>(put);
  }
  return true;
}

enum class ReadStatus { ok, eof, error };

// One frame; eof only when the peer closed cleanly between frames.
ReadStatus read_message(int fd, SpfMessage& out) {
  char header[kSpfFrameHeader];
  const ssize_t first = [&] {
    ssize_t got;
    do got = ::read(fd, header, 1);
    while (got < 0 && errno == EINTR);
    return got;
  }();
  if (first == 0) return ReadStatus::eof;
  if (first < 0 || !read_exact(fd, header + 1, kSpfFrameHeader - 1)) return ReadStatus::error;
  const auto length = parse_spf_frame_header(std::string_view(header, kSpfFrameHeader));
  if (!length) return ReadStatus::error;
  std::string payload(*length, '\0');
  if (!read_exact(fd, payload.data(), payload.size())) return ReadStatus::error;
  auto message = decode_spf_payload(payload);
  if (!message) return ReadStatus::error;
  out = std::move(*message);
  return ReadStatus::ok;
}

bool send_message(int fd, const SpfMessage& m) {
  const auto frame = encode_spf_frame(m);
  return frame && write_all(fd, *frame);
}

[[noreturn]] void die(const char* why) {
  std::fprintf(stderr, "hikyaku spf-helper: %s\n", why);
  std::fflush(stderr);
  _exit(1);
}

}  // namespace

int spf_helper_main(int fd) {
  if (!harden(fd)) {
    std::fprintf(stderr, "hikyaku spf-helper: hardening failed (errno %d)\n", errno);
    return 2;
  }
  // Each lookup is a question to the relay and a blocking wait for its answer. A failed
  // exchange ends the process: the relay has gone or broke the protocol, and either way the
  // check in progress can only be abandoned.
  auto ask = [fd](const std::string& name, dns::RecordType type) {
    if (!send_message(fd, SpfDnsQuery{name, type})) die("cannot send a DNS query");
    SpfMessage answer;
    if (read_message(fd, answer) != ReadStatus::ok) die("no DNS answer from the relay");
    auto* reply = std::get_if<SpfDnsReply>(&answer);
    if (reply == nullptr) die("expected a DNS answer");
    return std::move(*reply);
  };
  SpfEvaluator evaluator(ask);
  for (;;) {
    SpfMessage message;
    const ReadStatus status = read_message(fd, message);
    if (status == ReadStatus::eof) return 0;
    if (status == ReadStatus::error) return 1;
    const auto* request = std::get_if<SpfCheckRequest>(&message);
    if (request == nullptr) return 1;
    const SpfVerdict verdict = evaluator.check(*request);
    if (!send_message(fd, verdict)) return 1;
  }
}

}  // namespace hikyaku::auth
