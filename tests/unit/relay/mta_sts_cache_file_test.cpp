// The cached MTA-STS policy file (relay/mta_sts_cache_file): what is rendered parses back to the
// same policy, every header field is checked, file names never collide with spool temporaries;
// and the cache over a store (RFC 8461 §5.1): a kept policy is in force after a restart until
// it expires, when a fetch fails and when the record is gone, an expired one is removed, and
// every fetched policy is saved.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "loopback.hpp"
#include "relay/mta_sts_cache.hpp"
#include "relay/mta_sts_cache_file.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;
using std::chrono::seconds;
using std::chrono::sys_seconds;

constexpr std::string_view kBody = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.example\r\nmax_age: 600\r\n";

CachedMtaStsPolicy sample() {
  CachedMtaStsPolicy c;
  c.domain = "sts.example";
  c.id = "20261207";
  c.expires = sys_seconds(seconds(1796000000));
  c.body = std::string(kBody);
  return c;
}

TEST(MtaStsCacheFile, RenderedParsesBackWithItsPolicy) {
  const std::string text = render_cached_policy(sample());
  EXPECT_EQ(text, "hikyaku-mta-sts-cache: 1\ndomain: sts.example\nid: 20261207\nexpires: 1796000000\n\n" +
                      std::string(kBody));
  auto back = parse_cached_policy(text);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->domain, "sts.example");
  EXPECT_EQ(back->id, "20261207");
  EXPECT_EQ(back->expires, sample().expires);
  EXPECT_EQ(back->body, kBody);
  EXPECT_EQ(back->policy.mode, MtaStsMode::enforce);
  ASSERT_EQ(back->policy.mx.size(), 1u);
  EXPECT_EQ(back->policy.mx[0], "mx.sts.example");
  EXPECT_EQ(back->policy.max_age, seconds(600));
}

TEST(MtaStsCacheFile, EveryFieldIsChecked) {
  const std::string good = render_cached_policy(sample());
  auto with = [&](std::string_view from, std::string_view to) {
    std::string t = good;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    return parse_cached_policy(t);
  };
  EXPECT_FALSE(with("hikyaku-mta-sts-cache: 1", "hikyaku-mta-sts-cache: 2"));
  EXPECT_FALSE(with("domain: sts.example", "domain: STS.example"));   // lowercase only
  EXPECT_FALSE(with("domain: sts.example", "domain: sts.example."));
  EXPECT_FALSE(with("domain: sts.example", "domain: ../etc"));
  EXPECT_FALSE(with("domain: sts.example", "domain: "));
  EXPECT_FALSE(with("domain: sts.example\n", ""));                     // a field missing
  EXPECT_FALSE(with("id: 20261207", "id: 2026-12-07"));               // §3.1: letters or digits
  EXPECT_FALSE(with("id: 20261207", "id: " + std::string(33, '1')));  // 1 to 32 of them
  EXPECT_TRUE(with("id: 20261207", "id: " + std::string(32, '1')));
  EXPECT_FALSE(with("expires: 1796000000", "expires: -1"));
  EXPECT_FALSE(with("expires: 1796000000", "expires: 01796000000"));
  EXPECT_FALSE(with("expires: 1796000000", "expires: 1796000000x"));
  EXPECT_FALSE(with("expires: 1796000000", "expires: 99999999999999999999999"));
  EXPECT_TRUE(with("expires: 1796000000", "expires: 0"));
  EXPECT_FALSE(with("\n\nversion", "\nversion"));                      // no blank line
  EXPECT_FALSE(with("mx: mx.sts.example\r\n", ""));                    // the body must be a policy
  EXPECT_FALSE(parse_cached_policy(""));
  EXPECT_FALSE(parse_cached_policy(good.substr(0, good.find("\n\n"))));  // truncated
}

TEST(MtaStsCacheFile, FileNamesAreTheDomainButNeverASpoolTemporary) {
  EXPECT_EQ(mta_sts_cache_file_name("sts.example"), "sts.example");
  EXPECT_EQ(mta_sts_cache_file_name("tmp.example"), "_tmp.example");  // write_durably's tmp.* names
  EXPECT_EQ(mta_sts_cache_file_name("tmpx.example"), "tmpx.example");
  EXPECT_EQ(mta_sts_cache_file_name("../x"), "");
  EXPECT_EQ(mta_sts_cache_file_name("a/b"), "");
  EXPECT_EQ(mta_sts_cache_file_name("Upper.example"), "");
  EXPECT_EQ(mta_sts_cache_file_name(""), "");
}

// A store in memory that counts what the cache asked of it.
struct MemoryStore final : MtaStsStore {
  std::map<std::string, CachedMtaStsPolicy> kept;
  int saves = 0;
  std::vector<CachedMtaStsPolicy> load() override {
    std::vector<CachedMtaStsPolicy> out;
    for (const auto& [d, c] : kept) out.push_back(c);
    return out;
  }
  void save(const CachedMtaStsPolicy& c) override {
    ++saves;
    kept[c.domain] = c;
  }
  void remove(const std::string& domain) override { kept.erase(domain); }
};

// A TXT answer the test changes and a fetch that counts and can fail, as after a restart.
struct Restarted {
  std::string record = "v=STSv1; id=20261207";
  bool fetch_fails = false;
  int fetches = 0;
  MtaStsCache::Clock::time_point now = MtaStsCache::Clock::time_point(seconds(1795999000));
  std::string body = "version: STSv1\nmode: testing\nmx: *.sts.example\nmax_age: 86400\n";
  std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();

  class Txt final : public dns::Resolver {
   public:
    explicit Txt(Restarted& f) : f_(f) {}
    asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
      if (f_.record.empty()) co_return dns::DnsAnswer::failure(name, type, dns::DnsStatus::nxdomain);
      dns::DnsAnswer a;
      a.status = dns::DnsStatus::ok;
      a.name = name;
      a.type = type;
      a.texts = {f_.record};
      co_return a;
    }

   private:
    Restarted& f_;
  };

  asio::awaitable<core::Expected<std::string, MtaStsFetchError>> fetch() {
    ++fetches;
    if (fetch_fails) co_return core::unexpected(MtaStsFetchError{"sts-policy-fetch-error", "refused"});
    co_return body;
  }

  // A new cache over the same store: what a restart of the relay makes.
  std::unique_ptr<MtaStsCache> start() {
    return std::make_unique<MtaStsCache>(
        std::make_shared<Txt>(*this),
        [this](std::string) -> asio::awaitable<core::Expected<std::string, MtaStsFetchError>> { return fetch(); },
        [this] { return now; }, store);
  }

  MtaStsSource::Result ask(MtaStsCache& cache) {
    asio::io_context io;
    return complete(io, cache.policy_for("sts.example"));
  }
};

TEST(MtaStsCacheStore, AFetchedPolicyIsSavedAndHoldsAfterARestartWhenTheFetchFails) {
  Restarted f;
  auto first = f.start();
  ASSERT_TRUE(f.ask(*first).policy);
  ASSERT_EQ(f.store->saves, 1);
  const auto& kept = f.store->kept.at("sts.example");
  EXPECT_EQ(kept.id, "20261207");
  EXPECT_EQ(kept.body, f.body);
  EXPECT_EQ(kept.expires, std::chrono::time_point_cast<seconds>(f.now + seconds(86400)));

  // Restarted, and the policy server is blocked: the kept policy is in force, not "no policy".
  first.reset();
  f.fetch_fails = true;
  f.record = "v=STSv1; id=20261208";  // even a new id whose fetch fails does not end it
  auto second = f.start();
  auto r = f.ask(*second);
  ASSERT_TRUE(r.policy);
  EXPECT_EQ(r.policy->mode, MtaStsMode::testing);
  EXPECT_TRUE(policy_allows_mx(*r.policy, "mx.sts.example"));
  EXPECT_FALSE(policy_allows_mx(*r.policy, "other.example"));
  EXPECT_NE(r.problem.find("sts-policy-fetch-error"), std::string::npos) << r.problem;
  f.record.clear();  // the record vanishes too: still in force (§5.1)
  EXPECT_TRUE(f.ask(*second).policy);
}

TEST(MtaStsCacheStore, TheSameIdAfterARestartIsNotFetchedAgain) {
  Restarted f;
  ASSERT_TRUE(f.ask(*f.start()).policy);
  auto again = f.start();
  ASSERT_TRUE(f.ask(*again).policy);
  EXPECT_EQ(f.fetches, 1);
}

TEST(MtaStsCacheStore, AKeptPolicyEndsAtItsExpiryExactly) {
  Restarted f;
  ASSERT_TRUE(f.ask(*f.start()).policy);
  f.fetch_fails = true;
  const auto expires = f.store->kept.at("sts.example").expires;
  f.now = expires - seconds(1);  // one second before: in force
  EXPECT_TRUE(f.ask(*f.start()).policy);
  f.now = expires;  // at max_age: expired, removed from the store at start, no policy
  auto at_expiry = f.start();
  EXPECT_TRUE(f.store->kept.empty());
  auto r = f.ask(*at_expiry);
  EXPECT_FALSE(r.policy);
  EXPECT_NE(r.problem.find("sts-policy-fetch-error"), std::string::npos) << r.problem;
}

TEST(MtaStsCacheStore, ANewPolicyReplacesTheKeptOne) {
  Restarted f;
  ASSERT_TRUE(f.ask(*f.start()).policy);
  f.record = "v=STSv1; id=20261208";
  f.body = "version: STSv1\nmode: enforce\nmx: mx.sts.example\nmax_age: 600\n";
  auto cache = f.start();
  EXPECT_EQ(f.ask(*cache).policy->mode, MtaStsMode::enforce);
  EXPECT_EQ(f.store->saves, 2);
  EXPECT_EQ(f.store->kept.at("sts.example").id, "20261208");
  EXPECT_EQ(f.store->kept.at("sts.example").policy.mode, MtaStsMode::enforce);
}

}  // namespace
}  // namespace hikyaku::relay
