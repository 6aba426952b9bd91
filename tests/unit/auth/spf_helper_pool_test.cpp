// SPF through real helper processes (auth/spf_helper_pool.hpp): the same answers as in
// process, DNS answered by the relay's resolver, and a helper that is killed mid-check, hangs,
// talks garbage or exits giving temperror (RFC 7208 §2.6.6) while the pool keeps serving; the
// per-client cap and the bounded wait list at their boundaries.
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "auth/spf_evaluator.hpp"
#include "auth/spf_helper_pool.hpp"
#include "spf_test_zone.hpp"

namespace hikyaku::auth {
namespace {

using namespace std::chrono_literals;

// Answers from the test zone; queries for `hold` wait until release(). Counts every query.
class HoldingResolver final : public dns::Resolver {
 public:
  explicit HoldingResolver(asio::any_io_executor ex) : ex_(std::move(ex)) {}
  asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
    ++queries;
    if (!hold.empty() && name == hold) {
      auto gate = std::make_shared<asio::steady_timer>(ex_, asio::steady_timer::time_point::max());
      gates_.push_back(gate);
      boost::system::error_code ec;
      co_await gate->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return zone_.lookup(name, type);
  }
  size_t held() const { return gates_.size(); }
  void release() {
    for (auto& g : gates_) g->cancel();
    gates_.clear();
    hold.clear();
  }
  std::string hold;
  int queries = 0;

 private:
  asio::any_io_executor ex_;
  dns::ZoneFileResolver zone_ = test::spf_zone();
  std::vector<std::shared_ptr<asio::steady_timer>> gates_;
};

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(20ms);
  }
  return done();
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

// False once `pid` has exited (a zombie counts as exited).
bool alive_not_zombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

class SpfHelperPoolTest : public ::testing::Test {
 protected:
  SpfHelperPoolOptions options(std::vector<std::string> extra = {}) {
    SpfHelperPoolOptions o;
    o.helper_argv = {HIKYAKU_SPF_TEST_HELPER};
    for (auto& e : extra) o.helper_argv.push_back(e);
    o.pool_size = 2;
    o.check_timeout = 10s;
    o.rec_dom = "relay.example.net";
    return o;
  }

  // Starts a check; its verdict lands in the returned slot when done.
  std::shared_ptr<std::optional<SpfVerdict>> start(SpfHelperPool& pool, SpfRequest r) {
    auto slot = std::make_shared<std::optional<SpfVerdict>>();
    auto on_done = [slot](std::exception_ptr e, SpfVerdict v) {
      if (!e) *slot = std::move(v);
    };
    asio::co_spawn(io_, pool.check(std::move(r)), std::move(on_done));
    return slot;
  }

  SpfVerdict check(SpfHelperPool& pool, SpfRequest r) {
    auto slot = start(pool, std::move(r));
    EXPECT_TRUE(run_until(io_, [&] { return slot->has_value(); })) << "check did not finish";
    return slot->value_or(SpfVerdict{});
  }

  // The fixture owns the resolver; the pool gets a non-owning handle to it.
  std::shared_ptr<dns::Resolver> shared_resolver() {
    return std::shared_ptr<dns::Resolver>(&resolver_, [](dns::Resolver*) {});
  }

  asio::io_context io_;
  HoldingResolver resolver_{io_.get_executor()};
};

struct Case {
  std::string ip, sender, helo;
};
const std::vector<Case> kCases = {
    {"192.0.2.7", "alice@example.com", "helo.example.com"},
    {"192.0.2.130", "alice@example.com", "helo.example.com"},
    {"198.51.100.20", "alice@example.com", "mail.example.org"},
    {"2001:db8:3::9", "alice@example.com", "mail.example.org"},
    {"2001:db8:2::25", "alice@example.com", "[192.0.2.1]"},
    {"192.0.2.2", "bob@soft.example.com", "helo.example.com"},
    {"192.0.2.2", "bob@neutral.example.com", ""},
    {"192.0.2.1", "a@broken.example.com", "broken.example.com"},
    {"192.0.2.1", "a@error.example.org", "helo.example.com"},
    {"192.0.2.150", "", "helo.example.com"},
    {"192.0.2.1", "a@norecord.example.com", "norecord.example.com"},
};

TEST_F(SpfHelperPoolTest, SameAnswersAsInProcess) {
  // The pool's resolver has no error.example.org failure: give the in-process run the same.
  auto zone = test::spf_zone();
  SpfEvaluator local([&](const std::string& n, dns::RecordType t) { return to_spf_dns_reply(zone.lookup(n, t)); },
                     SpfEvaluatorOptions{.rec_dom = "relay.example.net"});
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), options());
  ASSERT_EQ(pool.helper_pids().size(), 2u);
  for (const auto& c : kCases) {
    const auto remote = check(pool, {c.ip, c.helo, c.sender});
    const auto here = local.check({c.ip, c.helo, c.sender, ""});
    EXPECT_EQ(remote.mail_from.result, here.mail_from.result) << c.ip << " " << c.sender;
    EXPECT_EQ(remote.mail_from.identity, here.mail_from.identity);
    EXPECT_EQ(remote.mail_from.domain, here.mail_from.domain);
    EXPECT_EQ(remote.mail_from.reason, here.mail_from.reason);
    EXPECT_EQ(remote.helo.result, here.helo.result) << c.ip << " " << c.helo;
    EXPECT_EQ(remote.helo.identity, here.helo.identity);
  }
  // Every lookup went through the relay's resolver.
  EXPECT_GT(resolver_.queries, static_cast<int>(kCases.size()));
  const auto pass = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(pass.mail_from.result, SpfResult::pass);
  EXPECT_EQ(pass.helo.result, SpfResult::fail);
}

TEST_F(SpfHelperPoolTest, HelperKilledMidCheckIsTempErrorAndReplaced) {
  auto o = options();
  o.pool_size = 1;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  ASSERT_EQ(pool.helper_pids().size(), 1u);
  const pid_t first = pool.helper_pids().front();
  resolver_.hold = "example.com";
  auto slot = start(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  ASSERT_TRUE(run_until(io_, [&] { return resolver_.held() == 1; }));
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  // Noticed while the resolver still holds the answer: the helper's socket hit EOF.
  ASSERT_TRUE(run_until(io_, [&] { return slot->has_value(); }));
  EXPECT_EQ((*slot)->mail_from.result, SpfResult::temperror);
  EXPECT_EQ((*slot)->helo.result, SpfResult::temperror);
  EXPECT_EQ((*slot)->mail_from.identity, "alice@example.com");
  EXPECT_EQ((*slot)->mail_from.reason, "SPF helper died while waiting for DNS");
  EXPECT_FALSE(alive(first));  // reaped, not a zombie
  ASSERT_EQ(pool.helper_pids().size(), 1u);
  EXPECT_NE(pool.helper_pids().front(), first);
  resolver_.release();
  const auto next = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(next.mail_from.result, SpfResult::pass);
}

TEST_F(SpfHelperPoolTest, IdleHelperKilledIsReplacedBeforeTheNextCheck) {
  auto o = options();
  o.pool_size = 1;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  const pid_t first = pool.helper_pids().front();
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(run_until(io_, [&] { return !alive_not_zombie(first); }));
  // The check does not pay for the dead helper: it runs on a fresh one.
  const auto v = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(v.mail_from.result, SpfResult::pass);
  ASSERT_EQ(pool.helper_pids().size(), 1u);
  EXPECT_NE(pool.helper_pids().front(), first);
  EXPECT_FALSE(alive(first));  // reaped
}

// A relay that dropped root starts helpers through the launcher it started while it had root:
// the helpers are the launcher's children, killed and reaped by it on the pool's request.
TEST_F(SpfHelperPoolTest, ThroughTheLauncherHelpersAreNotOurChildren) {
  auto launcher = std::shared_ptr<SpfLauncher>(SpfLauncher::start(HIKYAKU_SPF_TEST_HELPER, "nobody"));
  ASSERT_TRUE(launcher);
  auto o = options();
  o.pool_size = 1;
  o.launcher = launcher;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  ASSERT_EQ(pool.helper_pids().size(), 1u);
  const pid_t first = pool.helper_pids().front();
  std::ifstream stat("/proc/" + std::to_string(first) + "/stat");
  std::string line;
  ASSERT_TRUE(std::getline(stat, line));
  const auto fields = line.substr(line.rfind(')') + 2);
  EXPECT_EQ(std::stoi(fields.substr(2)), launcher->pid()) << line;  // its parent is the launcher
  EXPECT_EQ(check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"}).mail_from.result,
            SpfResult::pass);
  // An idle helper that died (its socket hangs up) is replaced before the next check.
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(run_until(io_, [&] { return !alive_not_zombie(first); }));
  EXPECT_EQ(check(pool, {"192.0.2.130", "helo.example.com", "alice@example.com"}).mail_from.result,
            SpfResult::fail);
  ASSERT_EQ(pool.helper_pids().size(), 1u);
  const pid_t second = pool.helper_pids().front();
  EXPECT_NE(second, first);
  // The launcher outlives the deaths of its helpers (it reaps them and goes on).
  EXPECT_TRUE(alive_not_zombie(launcher->pid()));
  ASSERT_EQ(::kill(second, SIGKILL), 0);
  ASSERT_TRUE(run_until(io_, [&] { return !alive_not_zombie(second); }));
  ::usleep(100 * 1000);  // the launcher's SIGCHLD and reap
  EXPECT_TRUE(alive_not_zombie(launcher->pid()));
  EXPECT_EQ(check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"}).mail_from.result,
            SpfResult::pass);
  // A helper held past the deadline is killed by the launcher on the pool's request.
  o.check_timeout = 300ms;
  SpfHelperPool slow(io_.get_executor(), shared_resolver(), o);
  const pid_t held = slow.helper_pids().front();
  resolver_.hold = "example.com";
  const auto timed_out = check(slow, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(timed_out.mail_from.result, SpfResult::temperror);
  EXPECT_TRUE(run_until(io_, [&] { return !alive_not_zombie(held); })) << "helper " << held << " still running";
  resolver_.release();
}

TEST_F(SpfHelperPoolTest, LauncherGoneMeansTemperrorNotAPass) {
  auto launcher = std::shared_ptr<SpfLauncher>(SpfLauncher::start(HIKYAKU_SPF_TEST_HELPER, "nobody"));
  ASSERT_TRUE(launcher);
  ASSERT_EQ(::kill(launcher->pid(), SIGKILL), 0);
  auto o = options();
  o.launcher = launcher;
  o.prestart = false;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  const auto v = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(v.mail_from.result, SpfResult::temperror);
  EXPECT_EQ(v.mail_from.reason, "no SPF helper available");
}

TEST_F(SpfHelperPoolTest, HelpersNeverRunAsRoot) {
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), options());
  const auto v = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(v.mail_from.result, SpfResult::pass);  // hardened, and still working
  // A helper is started as root and drops to its user before it reads its first request; one
  // that has not answered yet may still be on its way there on a busy machine. Each must be
  // down to a non-root uid (real, effective, saved, file system) within a few seconds.
  const auto uid_line = [](pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line) && line.rfind("Uid:", 0) != 0) {
    }
    return line;
  };
  const auto has_root = [](const std::string& line) {
    std::istringstream uids(line.substr(4));
    for (int i = 0; i < 4; ++i) {
      long uid = -1;
      uids >> uid;
      if (uid == 0) return true;
    }
    return false;
  };
  for (const pid_t pid : pool.helper_pids()) {
    std::string line = uid_line(pid);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (line.rfind("Uid:", 0) == 0 && has_root(line) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      line = uid_line(pid);
    }
    ASSERT_EQ(line.rfind("Uid:", 0), 0u);
    EXPECT_FALSE(has_root(line)) << "helper " << pid << " runs as root: " << line;
  }
}

TEST_F(SpfHelperPoolTest, WithoutPrestartHelpersStartAtTheFirstCheck) {
  auto o = options();
  o.prestart = false;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  EXPECT_TRUE(pool.helper_pids().empty());
  const auto v = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(v.mail_from.result, SpfResult::pass);
  EXPECT_EQ(pool.helper_pids().size(), 1u);
}

TEST_F(SpfHelperPoolTest, DnsThatNeverAnswersHitsTheTimeout) {
  auto o = options();
  o.pool_size = 1;
  o.check_timeout = 300ms;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  const pid_t first = pool.helper_pids().front();
  resolver_.hold = "example.com";
  const auto started = std::chrono::steady_clock::now();
  const auto v = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(v.mail_from.result, SpfResult::temperror);
  EXPECT_EQ(v.mail_from.reason, "SPF check timed out");
  EXPECT_FALSE(alive(first));
  resolver_.release();  // the abandoned conversation ends too
  const auto next = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(next.mail_from.result, SpfResult::pass);
}

TEST_F(SpfHelperPoolTest, HungHelperHitsTheTimeout) {
  auto o = options({"hang"});
  o.pool_size = 1;
  o.check_timeout = 300ms;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  const pid_t first = pool.helper_pids().front();
  const auto v = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
  EXPECT_EQ(v.mail_from.result, SpfResult::temperror);
  EXPECT_EQ(v.helo.result, SpfResult::temperror);
  EXPECT_EQ(v.mail_from.reason, "SPF check timed out");
  EXPECT_FALSE(alive(first));
  ASSERT_EQ(pool.helper_pids().size(), 1u);
  EXPECT_NE(pool.helper_pids().front(), first);
}

TEST_F(SpfHelperPoolTest, GarbageOrExitIsTempError) {
  {
    auto o = options({"garbage"});
    o.pool_size = 1;
    SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
    const pid_t first = pool.helper_pids().front();
    const auto v = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
    EXPECT_EQ(v.mail_from.result, SpfResult::temperror);
    EXPECT_EQ(v.mail_from.reason, "SPF helper sent a bad frame: unknown message type");
    EXPECT_FALSE(alive(first));
  }
  {
    SpfHelperPool pool(io_.get_executor(), shared_resolver(), options({"exit"}));
    const auto v = check(pool, {"192.0.2.7", "helo.example.com", "alice@example.com"});
    EXPECT_EQ(v.mail_from.result, SpfResult::temperror);
    EXPECT_EQ(v.mail_from.reason, "SPF helper exited");
  }
}

TEST_F(SpfHelperPoolTest, MoreChecksThanHelpers) {
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), options());
  std::vector<std::shared_ptr<std::optional<SpfVerdict>>> slots;
  std::vector<SpfResult> want;
  for (int i = 0; i < 8; ++i) {
    const bool in = i % 2 == 0;
    slots.push_back(start(pool, {in ? "192.0.2." + std::to_string(i + 1) : "203.0.113." + std::to_string(i),
                                 "helo.example.com", "user" + std::to_string(i) + "@example.com"}));
    want.push_back(in ? SpfResult::pass : SpfResult::fail);
  }
  ASSERT_TRUE(run_until(io_, [&] {
    return std::all_of(slots.begin(), slots.end(), [](auto& s) { return s->has_value(); });
  }));
  for (size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ((*slots[i])->mail_from.result, want[i]) << i;
    EXPECT_EQ((*slots[i])->mail_from.identity, "user" + std::to_string(i) + "@example.com");
  }
  EXPECT_EQ(pool.helper_pids().size(), 2u);
}

TEST_F(SpfHelperPoolTest, HelpersAreRecycledAfterMaxChecks) {
  auto o = options();
  o.pool_size = 1;
  o.max_checks_per_helper = 2;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  const pid_t first = pool.helper_pids().front();
  EXPECT_EQ(check(pool, {"192.0.2.7", "h.example.com", "a@example.com"}).mail_from.result, SpfResult::pass);
  EXPECT_EQ(pool.helper_pids().front(), first);
  EXPECT_EQ(check(pool, {"192.0.2.7", "h.example.com", "a@example.com"}).mail_from.result, SpfResult::pass);
  EXPECT_NE(pool.helper_pids().front(), first);
  EXPECT_FALSE(alive(first));
}

TEST_F(SpfHelperPoolTest, ShutdownReapsAndRefuses) {
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), options());
  const auto pids = pool.helper_pids();
  ASSERT_EQ(pids.size(), 2u);
  pool.shutdown();
  for (pid_t p : pids) EXPECT_FALSE(alive(p));
  EXPECT_TRUE(pool.helper_pids().empty());
  const auto v = check(pool, {"192.0.2.7", "h.example.com", "a@example.com"});
  EXPECT_EQ(v.mail_from.result, SpfResult::temperror);
  EXPECT_EQ(v.mail_from.reason, "SPF helpers shut down");
}

TEST_F(SpfHelperPoolTest, UnstartableHelperIsTempError) {
  auto o = options();
  o.helper_argv = {"/nonexistent/spf-helper"};
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  EXPECT_TRUE(pool.helper_pids().empty());
  const auto v = check(pool, {"192.0.2.7", "h.example.com", "a@example.com"});
  EXPECT_EQ(v.mail_from.result, SpfResult::temperror);
  EXPECT_EQ(v.mail_from.reason, "no SPF helper available");
}

// Starts checks while example.com's TXT is held, so each started one stays in its helper.
using Slot = std::shared_ptr<std::optional<SpfVerdict>>;

TEST_F(SpfHelperPoolTest, PerClientCapLetsNChecksRunAndTheNextWait) {
  auto o = options();
  o.pool_size = 4;
  o.per_client_limit = 2;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  resolver_.hold = "example.com";
  std::vector<Slot> mine;
  for (int i = 0; i < 3; ++i) mine.push_back(start(pool, {"192.0.2.7", "h.example.com", "a@example.com"}));
  // N-1 and N are at a helper (their DNS held); N+1 waits for its client's turn.
  ASSERT_TRUE(run_until(io_, [&] { return resolver_.held() == 2 && pool.waiting() == 1; }));
  // Another client is not held back, and helpers are free for it.
  auto other = start(pool, {"192.0.2.8", "h.example.com", "a@example.com"});
  ASSERT_TRUE(run_until(io_, [&] { return resolver_.held() == 3; }));
  EXPECT_EQ(pool.waiting(), 1u);
  for (auto& m : mine) EXPECT_FALSE(m->has_value());
  resolver_.release();
  ASSERT_TRUE(run_until(io_, [&] {
    return other->has_value() && std::all_of(mine.begin(), mine.end(), [](auto& m) { return m->has_value(); });
  }));
  for (auto& m : mine) EXPECT_EQ((*m)->mail_from.result, SpfResult::pass);
  EXPECT_EQ(pool.waiting(), 0u);
}

TEST_F(SpfHelperPoolTest, PerClientCapCountsAnIpv6Slash64AsOneClient) {
  auto o = options();
  o.pool_size = 3;
  o.per_client_limit = 1;
  o.check_timeout = 2s;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  resolver_.hold = "example.com";
  auto first = start(pool, {"2001:db8:3::9", "h.example.com", "a@example.com"});
  ASSERT_TRUE(run_until(io_, [&] { return resolver_.held() == 1; }));
  // Another address of the same /64 waits for its turn (half of check_timeout) while the first
  // is still running, and then is temperror.
  const auto started = std::chrono::steady_clock::now();
  auto second = start(pool, {"2001:db8:3::10", "h.example.com", "a@example.com"});
  ASSERT_TRUE(run_until(io_, [&] { return pool.waiting() == 1; }));
  ASSERT_TRUE(run_until(io_, [&] { return second->has_value(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
  EXPECT_FALSE(first->has_value());
  EXPECT_EQ((*second)->mail_from.result, SpfResult::temperror);
  EXPECT_EQ((*second)->mail_from.reason, "too many SPF checks from this client at once");
  EXPECT_EQ((*second)->helo.result, SpfResult::temperror);
  EXPECT_EQ(resolver_.held(), 1u);  // it never reached a helper
  resolver_.release();
  ASSERT_TRUE(run_until(io_, [&] { return first->has_value(); }));
}

TEST_F(SpfHelperPoolTest, WaitListFullIsTempErrorAtOnce) {
  auto o = options();
  o.pool_size = 1;
  o.queue_limit = 2;
  o.check_timeout = 30s;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  resolver_.hold = "example.com";
  std::vector<Slot> slots;
  slots.push_back(start(pool, {"192.0.2.1", "h.example.com", "a@example.com"}));  // at the helper
  ASSERT_TRUE(run_until(io_, [&] { return resolver_.held() == 1; }));
  slots.push_back(start(pool, {"192.0.2.2", "h.example.com", "a@example.com"}));  // waiting 1
  slots.push_back(start(pool, {"192.0.2.3", "h.example.com", "a@example.com"}));  // waiting 2 = N
  ASSERT_TRUE(run_until(io_, [&] { return pool.waiting() == 2; }));
  const auto started = std::chrono::steady_clock::now();
  auto over = start(pool, {"192.0.2.4", "h.example.com", "a@example.com"});       // N+1
  ASSERT_TRUE(run_until(io_, [&] { return over->has_value(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // not after check_timeout (30 s)
  EXPECT_EQ((*over)->mail_from.result, SpfResult::temperror);
  EXPECT_EQ((*over)->mail_from.reason, "SPF wait list full");
  for (auto& s : slots) EXPECT_FALSE(s->has_value());
  resolver_.release();
  ASSERT_TRUE(run_until(io_, [&] {
    return std::all_of(slots.begin(), slots.end(), [](auto& s) { return s->has_value(); });
  }));
  for (auto& s : slots) EXPECT_EQ((*s)->mail_from.result, SpfResult::pass);
  // With the list empty again, a check is taken.
  EXPECT_EQ(check(pool, {"192.0.2.4", "h.example.com", "a@example.com"}).mail_from.result, SpfResult::pass);
}

TEST_F(SpfHelperPoolTest, ClientsWaitingForTheirTurnCountInTheWaitList) {
  auto o = options();
  o.pool_size = 2;
  o.per_client_limit = 1;
  o.queue_limit = 1;
  SpfHelperPool pool(io_.get_executor(), shared_resolver(), o);
  resolver_.hold = "example.com";
  auto a = start(pool, {"192.0.2.7", "h.example.com", "a@example.com"});
  ASSERT_TRUE(run_until(io_, [&] { return resolver_.held() == 1; }));
  auto b = start(pool, {"192.0.2.7", "h.example.com", "a@example.com"});  // waits for its turn
  ASSERT_TRUE(run_until(io_, [&] { return pool.waiting() == 1; }));
  auto c = start(pool, {"192.0.2.7", "h.example.com", "a@example.com"});  // the list is full
  ASSERT_TRUE(run_until(io_, [&] { return c->has_value(); }));
  EXPECT_EQ((*c)->mail_from.reason, "SPF wait list full");
  resolver_.release();
  ASSERT_TRUE(run_until(io_, [&] { return a->has_value() && b->has_value(); }));
  EXPECT_EQ((*b)->mail_from.result, SpfResult::pass);
}

}  // namespace
}  // namespace hikyaku::auth
