// The MTA-STS policy source of the relay (RFC 8461 §5.1): the `_mta-sts` TXT record looked up
// at each delivery, the policy fetched when its id is new, kept until max_age; a cached policy
// outlives a failed fetch, a vanished record and (through a store) a restart until it expires.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "relay/mta_sts_cache_file.hpp"
#include "relay/mta_sts_fetcher.hpp"
#include "relay/tls_facts.hpp"

namespace hikyaku::relay {

// Where cached policies outlive the process (RFC 8461 §5.1), e.g. files in the spool
// (app/mta_sts_spool_store.hpp). save() and remove() must not block the caller for long.
class MtaStsStore {
 public:
  virtual ~MtaStsStore() = default;
  virtual std::vector<CachedMtaStsPolicy> load() = 0;  // every policy kept, valid or not
  virtual void save(const CachedMtaStsPolicy& cached) = 0;
  virtual void remove(const std::string& domain) = 0;
};

class MtaStsCache : public MtaStsSource {
 public:
  using Clock = std::chrono::system_clock;
  // How a policy body is had for a domain (fetch_mta_sts_policy; tests give their own).
  using Fetch = std::function<asio::awaitable<core::Expected<std::string, MtaStsFetchError>>(std::string)>;

  // With a store, the policies it kept are in force from the start until they expire; an
  // expired one is removed from it, and every policy fetched is saved to it.
  MtaStsCache(std::shared_ptr<dns::Resolver> resolver, Fetch fetch,
              std::function<Clock::time_point()> now = Clock::now,
              std::shared_ptr<MtaStsStore> store = nullptr);

  asio::awaitable<Result> policy_for(std::string domain) override;

  struct Entry {
    std::string id;              // the TXT record's id when fetched
    MtaStsPolicy policy;
    Clock::time_point expires;   // fetched + max_age
    std::string body;            // the policy file as fetched (what the store keeps)
  };
  // What is cached for `domain`, expired or not (for `hikyaku tls-policy` and tests).
  std::optional<Entry> cached(const std::string& domain) const;

 private:
  std::optional<Entry> valid_entry(const std::string& domain) const;

  std::shared_ptr<dns::Resolver> resolver_;
  Fetch fetch_;
  std::function<Clock::time_point()> now_;
  std::shared_ptr<MtaStsStore> store_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace hikyaku::relay
