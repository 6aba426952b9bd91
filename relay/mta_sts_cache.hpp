// The MTA-STS policy source of the relay (RFC 8461 §5.1): the `_mta-sts` TXT record looked up
// at each delivery, the policy fetched when its id is new, kept until max_age; a cached policy
// outlives a failed fetch or a vanished record until it expires.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "relay/mta_sts_fetcher.hpp"
#include "relay/tls_facts.hpp"

namespace hikyaku::relay {

class MtaStsCache : public MtaStsSource {
 public:
  using Clock = std::chrono::system_clock;
  // How a policy body is had for a domain (fetch_mta_sts_policy; tests give their own).
  using Fetch = std::function<asio::awaitable<core::Expected<std::string, MtaStsFetchError>>(std::string)>;

  MtaStsCache(std::shared_ptr<dns::Resolver> resolver, Fetch fetch,
              std::function<Clock::time_point()> now = Clock::now)
      : resolver_(std::move(resolver)), fetch_(std::move(fetch)), now_(std::move(now)) {}

  asio::awaitable<Result> policy_for(std::string domain) override;

  struct Entry {
    std::string id;              // the TXT record's id when fetched
    MtaStsPolicy policy;
    Clock::time_point expires;   // fetched + max_age
  };
  // What is cached for `domain`, expired or not (for `hikyaku tls-policy` and tests).
  std::optional<Entry> cached(const std::string& domain) const;

 private:
  std::optional<Entry> valid_entry(const std::string& domain) const;

  std::shared_ptr<dns::Resolver> resolver_;
  Fetch fetch_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace hikyaku::relay
