// The relay side of out-of-process SPF (DESIGN §3): a pool of helper processes running
// libspf2, each behind a socketpair speaking spf_wire.hpp. Every DNS query a helper makes is
// answered through dns::Resolver (one cache, one configured server). A helper that dies,
// breaks the protocol or passes the deadline is killed and replaced; that check is an
// RFC 7208 §2.6.6 temperror for both identities. One client cannot take every helper: its
// checks at once are capped, and the checks waiting are bounded (past either: temperror).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "auth/results.hpp"
#include "auth/spf_launcher.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

namespace asio = boost::asio;

struct SpfRequest {
  std::string client_ip;  // the SMTP client ("192.0.2.1", "2001:db8::1")
  std::string helo;       // the EHLO/HELO name as given
  std::string mail_from;  // the MAIL FROM mailbox; "" is the null sender
};

struct SpfHelperPoolOptions {
  // The helper program: started with the socketpair end as fd 3; it calls spf_helper_main(3).
  std::vector<std::string> helper_argv = {"/proc/self/exe", "spf-helper"};
  size_t pool_size = 2;
  // One check, waiting for a free helper included. Past it: temperror, the helper replaced.
  std::chrono::milliseconds check_timeout = std::chrono::seconds(20);
  std::string rec_dom = "localhost";  // our host name, the %{r} of RFC 7208 §7.3
  // A helper is replaced after this many checks, so what leaks or accumulates in it is bounded.
  // Small, so a helper subverted by one hostile record answers few later checks.
  size_t max_checks_per_helper = 100;
  // Started with root privileges, the relay starts helpers through this launcher, so they run
  // as [auth] spf_helper_user rather than as the relay's service user. Null: posix_spawn here.
  std::shared_ptr<SpfLauncher> launcher;
  // Checks of one client (core::client_key: an IPv4 address or an IPv6 /64) at once. One more
  // waits, for at most half of check_timeout (the other half is left for the check), for one of
  // that client's checks to end, then is temperror: a client sending many messages at once
  // cannot occupy every helper. 0: no cap.
  size_t per_client_limit = 0;
  // Checks waiting (for a helper, or for their client's turn). One more is temperror at once,
  // so a flood cannot queue work that would take longer than any client waits. 0: no bound.
  size_t queue_limit = 0;
  // Start every helper in the constructor; false starts them at the first checks (the relay
  // builds its pool before dropping root, and helpers must run as the service user).
  bool prestart = true;
};

// Use from one thread: the executor must be single-threaded (or a strand), and the pool must
// outlive every check(). Destroy it, or shutdown(), when no check
// is in progress.
class SpfHelperPool {
 public:
  // The pool shares ownership of `resolver`: a conversation that outlives its check (a timeout)
  // may still be waiting on it after the configuration that built both is gone.
  SpfHelperPool(asio::any_io_executor executor, std::shared_ptr<dns::Resolver> resolver,
                SpfHelperPoolOptions options);
  ~SpfHelperPool();
  SpfHelperPool(const SpfHelperPool&) = delete;
  SpfHelperPool& operator=(const SpfHelperPool&) = delete;

  // Both identities (RFC 7208 §2.3, §2.4). Never throws for SPF, DNS or helper failures:
  // those are temperror outcomes with a reason.
  asio::awaitable<SpfVerdict> check(SpfRequest request);

  // The live helpers' process ids (for tests and logs).
  std::vector<pid_t> helper_pids() const;

  // Kills and reaps every helper, closes their sockets; later checks are temperror.
  void shutdown();

  // Checks waiting now (for a helper or their client's turn), for tests and metrics.
  size_t waiting() const { return waiting_; }

  struct Helper;
  struct Conversation;

 private:
  struct ClientChecks {
    size_t running = 0;
    std::deque<std::shared_ptr<asio::steady_timer>> waiters;
  };
  class ClientTurn;
  // Empty when the check may go on (its client's count taken), else why it may not.
  asio::awaitable<std::string> admit(const std::string& client, std::chrono::steady_clock::time_point deadline);
  void leave(const std::string& client);
  asio::awaitable<std::shared_ptr<Helper>> acquire(std::chrono::steady_clock::time_point deadline,
                                                   std::string& why);
  void release(std::shared_ptr<Helper> helper);
  void retire(const std::shared_ptr<Helper>& helper);
  std::shared_ptr<Helper> spawn();
  void wake_one();

  asio::any_io_executor executor_;
  std::shared_ptr<dns::Resolver> resolver_;
  SpfHelperPoolOptions options_;
  std::vector<std::shared_ptr<Helper>> helpers_;  // every live helper, idle or busy
  std::vector<std::shared_ptr<Helper>> idle_;
  std::deque<std::shared_ptr<asio::steady_timer>> waiters_;  // checks waiting for a helper
  std::map<std::string, ClientChecks> clients_;  // by client key, while it has checks
  size_t waiting_ = 0;                           // checks in either wait
  mutable std::mutex pids_mutex_;
  std::vector<pid_t> pids_;
  bool shut_down_ = false;
};

}  // namespace hikyaku::auth
