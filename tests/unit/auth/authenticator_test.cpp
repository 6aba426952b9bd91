// authenticate()'s lookup budget (AuthServices::lookup_budget): DKIM key (RFC 6376 §6.1.2),
// ARC key (RFC 8617 §5.2) and DMARC record (RFC 7489 §6.6.3) lookups due after it are not made
// and count as temporary failures, so the message is deferred (451 4.7.5), never refused.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "auth/arc_chain.hpp"
#include "auth/authenticator.hpp"
#include "auth/dkim_key_fetch.hpp"
#include "auth/dmarc_lookup.hpp"
#include "auth/enforcement.hpp"

namespace hikyaku::auth {
namespace {

using namespace std::chrono_literals;

// Every name is NXDOMAIN, after `delay`: a lookup that ran is a permanent "no record".
class SlowResolver : public dns::Resolver {
 public:
  explicit SlowResolver(std::chrono::milliseconds delay) : delay_(delay) {}
  asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
    names.push_back(name);
    asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
    co_await timer.async_wait(asio::use_awaitable);
    co_return dns::DnsAnswer::failure(std::move(name), type, dns::DnsStatus::nxdomain, "test");
  }
  std::vector<std::string> names;

 private:
  std::chrono::milliseconds delay_;
};

// One DKIM signature and one ARC set, both for keys the resolver does not have; an empty body
// so that the ARC body hash matches and the key is what the chain needs.
const std::string kMessage =
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; c=relaxed/relaxed; h=from;\r\n"
    "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
    "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=lists.example.org; s=arc; t=1; b=AAAA\r\n"
    "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=lists.example.org; s=arc;\r\n"
    "\th=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
    "ARC-Authentication-Results: i=1; lists.example.org; dmarc=pass header.from=example.com\r\n"
    "From: a@example.com\r\n"
    "\r\n";

std::optional<AuthResults> run(SlowResolver& resolver, std::chrono::milliseconds budget) {
  asio::io_context io;
  asio::thread_pool workers(1);
  const DkimVerifier dkim;
  const AuthServices services{&resolver, nullptr, &dkim, &workers, budget};
  const core::Message message(kMessage);
  std::optional<AuthResults> out;
  asio::co_spawn(io, authenticate(services, AuthRequest{"192.0.2.1", "helo.example", "a@example.com"}, message,
                                  1700000000),
                 [&out](std::exception_ptr e, AuthResults r) {
                   if (!e) out = std::move(r);
                 });
  io.run();
  workers.join();
  return out;
}

TEST(AuthenticateBudget, NoLookupOnceTheBudgetIsSpentAndTheMessageIsDeferred) {
  SlowResolver resolver(0ms);
  const auto results = run(resolver, 0ms);
  ASSERT_TRUE(results);
  EXPECT_TRUE(resolver.names.empty());
  ASSERT_EQ(results->dkim.size(), 1u);
  EXPECT_EQ(results->dkim[0].result, DkimResult::temperror) << results->dkim[0].reason;
  EXPECT_EQ(results->arc.cv, ArcResult::Cv::fail);
  EXPECT_TRUE(results->arc.temporary) << results->arc.reason;
  EXPECT_EQ(results->dmarc.result, DmarcResult::temperror);
  const Enforcement e = decide(*results, EnforcementPolicy{true, true, true}, std::nullopt);
  EXPECT_EQ(e.action, Enforcement::Action::defer);
  EXPECT_EQ(e.reply.code, 451);
  EXPECT_EQ(e.reply.enhanced, "4.7.5");
}

TEST(AuthenticateBudget, SlowLookupsStopAtTheBudget) {
  // Each lookup takes 200 ms, the budget is 300 ms: the DKIM key (0-200 ms) and the ARC key
  // (200-400 ms) are looked up, the DMARC record is due after the budget and is not.
  SlowResolver resolver(200ms);
  const auto start = std::chrono::steady_clock::now();
  const auto results = run(resolver, 300ms);
  ASSERT_TRUE(results);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(resolver.names, (std::vector<std::string>{"sel._domainkey.example.com", "arc._domainkey.lists.example.org"}));
  ASSERT_EQ(results->dkim.size(), 1u);
  EXPECT_EQ(results->dkim[0].result, DkimResult::permerror) << results->dkim[0].reason;
  EXPECT_EQ(results->arc.cv, ArcResult::Cv::fail);
  EXPECT_FALSE(results->arc.temporary) << results->arc.reason;
  EXPECT_EQ(results->dmarc.result, DmarcResult::temperror);
  EXPECT_EQ(decide(*results, EnforcementPolicy{true, true, false}, std::nullopt).action,
            Enforcement::Action::defer);
}

TEST(AuthenticateBudget, EachFetchSkipsLookupsPastItsDeadline) {
  SlowResolver resolver(0ms);
  const core::Message message(kMessage);
  const auto past = std::chrono::steady_clock::now() - 1s;
  asio::io_context io;
  DkimKeyRecords dkim;
  ArcKeyRecords arc;
  DmarcRecordLookup dmarc;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    dkim = co_await fetch_dkim_keys(resolver, message, past);
    arc = co_await fetch_arc_keys(resolver, message, past);
    dmarc = co_await fetch_dmarc_record(resolver, "example.com", past);
  }, asio::detached);
  io.run();
  EXPECT_TRUE(resolver.names.empty());
  ASSERT_EQ(dkim.size(), 1u);
  EXPECT_EQ(dkim.begin()->second.status, DkimKeyRecord::Status::temperror);
  EXPECT_NE(dkim.begin()->second.detail.find("lookup time ran out"), std::string::npos);
  ASSERT_EQ(arc.size(), 1u);
  EXPECT_EQ(arc.begin()->second.status, ArcKeyRecord::Status::temperror);
  EXPECT_EQ(dmarc.status, DmarcRecordLookup::Status::temperror);
  EXPECT_NE(dmarc.detail.find("lookup time ran out"), std::string::npos);
}

}  // namespace
}  // namespace hikyaku::auth
