// The relay side of out-of-process SPF (spf_helper_pool.hpp): helpers started with
// posix_spawn, a conversation per check over spf_wire frames whose DNS queries are answered
// by dns::Resolver, and the temperror of RFC 7208 §2.6.6 when a helper fails or times out.
#include "auth/spf_helper_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "auth/spf_wire.hpp"
#include "core/client_key.hpp"

namespace hikyaku::auth {

namespace {
// A helper asking for more than this in one check is broken or compromised (the evaluator in
// it stops at far fewer, RFC 7208 §4.6.4): the check ends as temperror, the helper replaced.
constexpr int kMaxQueriesPerCheck = 200;
}  // namespace

struct SpfHelperPool::Helper {
  explicit Helper(asio::any_io_executor ex) : socket(std::move(ex)) {}
  pid_t pid = -1;
  SpfLauncher* launcher = nullptr;  // started by the launcher (not our child), or null
  asio::local::stream_protocol::socket socket;
  size_t checks = 0;
};

// One check's exchange with a helper, shared by check() (which waits on `timer` until the
// deadline) and the conversation coroutine (which ends it with a verdict or a failure).
struct SpfHelperPool::Conversation {
  explicit Conversation(asio::any_io_executor ex) : timer(std::move(ex)) {}
  void finish(SpfVerdict v) {
    if (done) return;
    done = true;
    verdict = std::move(v);
    timer.cancel();
  }
  void fail(std::string why) {
    if (done) return;
    done = true;
    failure = std::move(why);
    timer.cancel();
  }
  asio::steady_timer timer;
  std::optional<SpfVerdict> verdict;
  std::string failure;
  bool done = false;
  bool awaiting_dns = false;
  bool heard = false;      // the helper sent at least one frame for this check
  bool timed_out = false;
};

namespace {

using Helper = SpfHelperPool::Helper;
using Conversation = SpfHelperPool::Conversation;

void kill_and_reap(Helper& h) {
  if (h.pid > 0 && h.launcher != nullptr) {
    h.launcher->kill(h.pid);  // another uid's process: the launcher kills and reaps it
    h.pid = -1;
  } else if (h.pid > 0) {
    ::kill(h.pid, SIGKILL);
    int status = 0;
    while (::waitpid(h.pid, &status, 0) < 0 && errno == EINTR) {
    }
    h.pid = -1;
  }
  boost::system::error_code ec;
  h.socket.close(ec);
}

// True (and reaped) when an idle helper has died, e.g. killed from outside since its last check.
bool has_exited(Helper& h) {
  if (h.pid <= 0) return true;
  if (h.launcher != nullptr) {
    // Not our child: an idle helper never writes, so a readable or hung-up socket means it
    // has gone.
    pollfd p{h.socket.native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;
  }
  int status = 0;
  if (::waitpid(h.pid, &status, WNOHANG) != h.pid) return false;
  h.pid = -1;
  return true;
}

SpfVerdict temperror_verdict(const SpfRequest& r, const std::string& why) {
  SpfVerdict v;
  v.mail_from.result = SpfResult::temperror;
  v.mail_from.identity = r.mail_from.empty() ? "postmaster@" + r.helo : r.mail_from;
  const auto at = v.mail_from.identity.rfind('@');
  v.mail_from.domain = at == std::string::npos ? v.mail_from.identity : v.mail_from.identity.substr(at + 1);
  v.mail_from.reason = why;
  v.helo.result = SpfResult::temperror;
  v.helo.identity = r.helo;
  v.helo.domain = r.helo;
  v.helo.reason = why;
  return v;
}

// Sends the request, then answers DNS queries until the verdict. Touches only `helper`,
// `conv` and `resolver`, so it may outlive the check that started it (a timed-out check
// leaves it waiting on the resolver; it ends when the answer comes, seeing `conv->done`).
asio::awaitable<void> converse(std::shared_ptr<Helper> helper, std::shared_ptr<Conversation> conv,
                               std::shared_ptr<dns::Resolver> resolver, SpfCheckRequest request) {
  boost::system::error_code ec;
  const auto frame = encode_spf_frame(request);
  if (!frame) {
    conv->fail("SPF request too large");
    co_return;
  }
  co_await asio::async_write(helper->socket, asio::buffer(*frame), asio::redirect_error(asio::use_awaitable, ec));
  if (conv->done) co_return;
  if (ec) {
    conv->fail("SPF helper unreachable: " + ec.message());
    co_return;
  }
  for (int queries = 0;; ++queries) {
    std::array<char, kSpfFrameHeader> header{};
    co_await asio::async_read(helper->socket, asio::buffer(header), asio::redirect_error(asio::use_awaitable, ec));
    if (conv->done) co_return;
    if (ec) {
      conv->fail(ec == asio::error::eof ? "SPF helper exited" : "SPF helper read failed: " + ec.message());
      co_return;
    }
    const auto length = parse_spf_frame_header(std::string_view(header.data(), header.size()));
    if (!length) {
      conv->fail(std::string("SPF helper sent a bad frame: ") + to_string(length.error()));
      co_return;
    }
    std::string payload(*length, '\0');
    co_await asio::async_read(helper->socket, asio::buffer(payload), asio::redirect_error(asio::use_awaitable, ec));
    if (conv->done) co_return;
    if (ec) {
      conv->fail("SPF helper exited mid-frame");
      co_return;
    }
    conv->heard = true;
    auto message = decode_spf_payload(payload);
    if (!message) {
      conv->fail(std::string("SPF helper sent a bad frame: ") + to_string(message.error()));
      co_return;
    }
    if (auto* verdict = std::get_if<SpfVerdict>(&*message)) {
      conv->finish(std::move(*verdict));
      co_return;
    }
    const auto* query = std::get_if<SpfDnsQuery>(&*message);
    if (query == nullptr) {
      conv->fail("SPF helper sent an unexpected message");
      co_return;
    }
    if (queries >= kMaxQueriesPerCheck) {
      conv->fail("SPF helper asked too many DNS queries");
      co_return;
    }
    // While the resolver works, the helper must be silent: readable now means it died (EOF)
    // or broke the protocol, and the check need not wait for the answer to find out.
    conv->awaiting_dns = true;
    auto on_readable = [conv](boost::system::error_code e) {
      if (!e && conv->awaiting_dns) conv->fail("SPF helper died while waiting for DNS");
    };
    helper->socket.async_wait(asio::socket_base::wait_read, std::move(on_readable));
    dns::DnsAnswer answer = co_await resolver->query(query->name, query->type);
    conv->awaiting_dns = false;
    if (conv->done) co_return;
    helper->socket.cancel(ec);
    auto out = encode_spf_frame(to_spf_dns_reply(answer));
    if (!out) out = encode_spf_frame(SpfDnsReply{SpfDnsStatus::temperror, 0, {}});  // over 64 KiB
    co_await asio::async_write(helper->socket, asio::buffer(*out), asio::redirect_error(asio::use_awaitable, ec));
    if (conv->done) co_return;
    if (ec) {
      conv->fail("SPF helper unreachable: " + ec.message());
      co_return;
    }
  }
}

}  // namespace

SpfHelperPool::SpfHelperPool(asio::any_io_executor executor, std::shared_ptr<dns::Resolver> resolver,
                             SpfHelperPoolOptions options)
    : executor_(std::move(executor)), resolver_(std::move(resolver)), options_(std::move(options)) {
  if (options_.pool_size == 0) options_.pool_size = 1;
  if (!options_.prestart) return;  // acquire() starts them on demand
  for (size_t i = 0; i < options_.pool_size; ++i) {
    if (auto h = spawn()) idle_.push_back(std::move(h));
  }
}

SpfHelperPool::~SpfHelperPool() { shutdown(); }

std::vector<pid_t> SpfHelperPool::helper_pids() const {
  std::lock_guard lock(pids_mutex_);
  return pids_;
}

void SpfHelperPool::shutdown() {
  shut_down_ = true;
  for (auto& h : helpers_) kill_and_reap(*h);
  helpers_.clear();
  idle_.clear();
  {
    std::lock_guard lock(pids_mutex_);
    pids_.clear();
  }
  for (auto& w : waiters_) w->cancel();
  waiters_.clear();
  for (auto& [client, checks] : clients_) {
    for (auto& w : checks.waiters) w->cancel();
    checks.waiters.clear();
  }
}

std::shared_ptr<SpfHelperPool::Helper> SpfHelperPool::spawn() {
  if (shut_down_ || options_.helper_argv.empty()) return nullptr;
  pid_t pid = -1;
  int fd = -1;
  if (options_.launcher) {
    auto launched = options_.launcher->spawn();
    if (!launched) return nullptr;
    pid = launched->pid;
    fd = launched->fd;
  } else {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return nullptr;
    pid = spawn_with_fd3(options_.helper_argv, sv[1]);
    ::close(sv[1]);
    if (pid <= 0) {
      ::close(sv[0]);
      return nullptr;
    }
    fd = sv[0];
  }
  auto helper = std::make_shared<Helper>(executor_);
  helper->pid = pid;
  helper->launcher = options_.launcher.get();
  boost::system::error_code ec;
  helper->socket.assign(asio::local::stream_protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    kill_and_reap(*helper);
    return nullptr;
  }
  helpers_.push_back(helper);
  std::lock_guard lock(pids_mutex_);
  pids_.push_back(pid);
  return helper;
}

void SpfHelperPool::wake_one() {
  if (waiters_.empty()) return;
  waiters_.front()->cancel();
  waiters_.pop_front();
}

// Holds one of its client's running checks until the check ends, however it ends.
class SpfHelperPool::ClientTurn {
 public:
  ClientTurn(SpfHelperPool& pool, std::string client) : pool_(pool), client_(std::move(client)) {}
  ~ClientTurn() { pool_.leave(client_); }
  ClientTurn(const ClientTurn&) = delete;
  ClientTurn& operator=(const ClientTurn&) = delete;

 private:
  SpfHelperPool& pool_;
  std::string client_;
};

asio::awaitable<std::string> SpfHelperPool::admit(const std::string& client,
                                                  std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (shut_down_) co_return "SPF helpers shut down";
    ClientChecks& mine = clients_[client];
    if (options_.per_client_limit == 0 || mine.running < options_.per_client_limit) {
      ++mine.running;
      co_return std::string();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return "too many SPF checks from this client at once";
    }
    if (options_.queue_limit != 0 && waiting_ >= options_.queue_limit) co_return "SPF wait list full";
    auto waiter = std::make_shared<asio::steady_timer>(executor_, deadline);
    mine.waiters.push_back(waiter);  // `mine` stays in the map while it has waiters
    ++waiting_;
    boost::system::error_code ec;
    co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    --waiting_;
    if (auto it = clients_.find(client); it != clients_.end()) std::erase(it->second.waiters, waiter);
  }
}

void SpfHelperPool::leave(const std::string& client) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  ClientChecks& mine = it->second;
  if (mine.running > 0) --mine.running;
  if (!mine.waiters.empty()) {
    mine.waiters.front()->cancel();
    mine.waiters.pop_front();
  } else if (mine.running == 0) {
    clients_.erase(it);
  }
}

asio::awaitable<std::shared_ptr<SpfHelperPool::Helper>> SpfHelperPool::acquire(
    std::chrono::steady_clock::time_point deadline, std::string& why) {
  for (;;) {
    if (shut_down_) co_return nullptr;
    if (!idle_.empty()) {
      auto h = idle_.back();
      if (const pid_t pid = h->pid; has_exited(*h)) {
        {
          std::lock_guard lock(pids_mutex_);
          std::erase(pids_, pid);
        }
        retire(h);  // replaced by a fresh helper; look again
        continue;
      }
      idle_.pop_back();
      co_return h;
    }
    if (helpers_.size() < options_.pool_size) {
      // A helper that could not be started earlier (or replaced) is tried again now.
      co_return spawn();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      why = "no SPF helper available";
      co_return nullptr;
    }
    if (options_.queue_limit != 0 && waiting_ >= options_.queue_limit) {
      why = "SPF wait list full";
      co_return nullptr;
    }
    auto waiter = std::make_shared<asio::steady_timer>(executor_, deadline);
    waiters_.push_back(waiter);
    ++waiting_;
    boost::system::error_code ec;
    co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    --waiting_;
    std::erase(waiters_, waiter);
  }
}

void SpfHelperPool::release(std::shared_ptr<Helper> helper) {
  if (shut_down_) return;
  if (++helper->checks >= options_.max_checks_per_helper) {
    retire(helper);
    return;
  }
  idle_.push_back(std::move(helper));
  wake_one();
}

void SpfHelperPool::retire(const std::shared_ptr<Helper>& helper) {
  const pid_t pid = helper->pid;
  kill_and_reap(*helper);
  std::erase(helpers_, helper);
  std::erase(idle_, helper);
  {
    std::lock_guard lock(pids_mutex_);
    std::erase(pids_, pid);
  }
  if (shut_down_) return;
  if (auto fresh = spawn()) idle_.push_back(std::move(fresh));
  wake_one();
}

asio::awaitable<SpfVerdict> SpfHelperPool::check(SpfRequest request) {
  const auto now = std::chrono::steady_clock::now();
  const auto deadline = now + options_.check_timeout;
  const std::string client = core::client_key(request.client_ip);
  // A check waits at most half its time for its client's turn, keeping the other half for itself.
  if (auto refused = co_await admit(client, now + options_.check_timeout / 2); !refused.empty()) {
    co_return temperror_verdict(request, refused);
  }
  ClientTurn turn(*this, client);
  // A helper that dies before saying anything (killed while idle, just before this check) never
  // saw the request: the check is tried once more on a fresh helper.
  for (int attempt = 0;; ++attempt) {
    std::string why;
    auto helper = co_await acquire(deadline, why);
    if (!helper) {
      if (why.empty()) why = "no SPF helper available";
      co_return temperror_verdict(request, shut_down_ ? "SPF helpers shut down" : why);
    }
    auto conv = std::make_shared<Conversation>(executor_);
    conv->timer.expires_at(deadline);
    SpfCheckRequest wire{request.client_ip, request.helo, request.mail_from, options_.rec_dom};
    auto on_exit = [conv](std::exception_ptr e) {
      if (e) conv->fail("internal error in the SPF conversation");
    };
    asio::co_spawn(executor_, converse(helper, conv, resolver_, std::move(wire)), std::move(on_exit));
    if (!conv->done) {
      boost::system::error_code ec;
      co_await conv->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!conv->done) conv->timed_out = true;
    conv->fail("SPF check timed out");  // no effect when it already ended
    if (conv->verdict) {
      release(std::move(helper));
      co_return std::move(*conv->verdict);
    }
    if (!shut_down_) retire(helper);
    if (attempt == 0 && !conv->heard && !conv->timed_out && !shut_down_) continue;
    co_return temperror_verdict(request, conv->failure);
  }
}

}  // namespace hikyaku::auth
