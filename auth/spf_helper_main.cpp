// The SPF helper process loop (spf_helper_main.hpp): hardening, then check request ->
// DNS queries answered by the relay -> verdict, over blocking reads and writes on one socket.
// The evaluation itself (RFC 7208 §2.3, §2.4, §4.6.4) is spf_evaluator's.
#include "auth/spf_helper_main.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "auth/spf_evaluator.hpp"
#include "auth/spf_sandbox.hpp"
#include "auth/spf_wire.hpp"

namespace hikyaku::auth {
namespace {

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

// Inside the sandbox the process ends with _exit: exit handlers (a sanitizer's leak check)
// would need system calls the filter refuses.
[[noreturn]] void finish(int status) {
  std::fflush(stderr);
  _exit(status);
}

[[noreturn]] void die(const char* why) {
  std::fprintf(stderr, "hikyaku spf-helper: %s\n", why);
  finish(1);
}

}  // namespace

int spf_helper_main(int fd, const std::string& helper_user) {
  const SandboxReport sandbox = enter_spf_sandbox(fd, helper_user);
  if (!sandbox.ok) {
    std::fprintf(stderr, "hikyaku spf-helper: cannot enter the sandbox: %s\n", sandbox.failure.c_str());
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
    if (status == ReadStatus::eof) finish(0);
    if (status == ReadStatus::error) finish(1);
    const auto* request = std::get_if<SpfCheckRequest>(&message);
    if (request == nullptr) finish(1);
    const SpfVerdict verdict = evaluator.check(*request);
    if (!send_message(fd, verdict)) finish(1);
  }
}

}  // namespace hikyaku::auth
