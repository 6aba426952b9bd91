// MTA-STS policy discovery and caching (RFC 8461 §3.1, §5.1): the TXT id decides whether the
// cached policy is current; a fetch or parse failure, or a TXT lookup that fails or finds no
// record, leaves an unexpired cached policy in force, also one kept by the store before a restart.
#include "relay/mta_sts_cache.hpp"

namespace hikyaku::relay {

MtaStsCache::MtaStsCache(std::shared_ptr<dns::Resolver> resolver, Fetch fetch,
                         std::function<Clock::time_point()> now, std::shared_ptr<MtaStsStore> store)
    : resolver_(std::move(resolver)), fetch_(std::move(fetch)), now_(std::move(now)), store_(std::move(store)) {
  if (!store_) return;
  const auto at = now_();
  for (auto& kept : store_->load()) {
    // §5.1: a policy is used until max_age after its fetch, and not after.
    if (kept.expires <= at) {
      store_->remove(kept.domain);
      continue;
    }
    auto& entry = entries_[kept.domain];
    if (entry.expires >= kept.expires) continue;  // two files for one domain: the later expiry
    entry = Entry{std::move(kept.id), std::move(kept.policy), kept.expires, std::move(kept.body)};
  }
}

std::optional<MtaStsCache::Entry> MtaStsCache::cached(const std::string& domain) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(domain);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::optional<MtaStsCache::Entry> MtaStsCache::valid_entry(const std::string& domain) const {
  auto entry = cached(domain);
  if (entry && entry->expires > now_()) return entry;
  return std::nullopt;
}

asio::awaitable<MtaStsSource::Result> MtaStsCache::policy_for(std::string domain) {
  Result result;
  const dns::DnsAnswer txt = co_await resolver_->query("_mta-sts." + domain, dns::RecordType::txt);
  const auto held = valid_entry(domain);
  std::string why;
  std::optional<MtaStsRecord> record;
  if (txt.temporary_failure()) {
    why = "TXT lookup of _mta-sts." + domain + " failed: " +
          (txt.detail.empty() ? std::string(dns::to_string(txt.status)) : txt.detail);
  } else if (txt.ok()) {
    record = select_mta_sts_record(txt.texts, &why);
  } else {
    why = "no _mta-sts record";
  }
  if (!record) {
    // §5.1: a sender keeps using an unexpired cached policy when the record cannot be had.
    if (held) {
      result.policy = held->policy;
      co_return result;
    }
    // No record at all is simply no policy; a record that is there but unusable is a problem.
    if (txt.ok() || txt.temporary_failure()) result.problem = why;
    co_return result;
  }
  if (held && held->id == record->id) {
    result.policy = held->policy;  // §5.1: same id, the cached policy is current
    co_return result;
  }
  auto body = co_await fetch_(domain);
  if (!body) {
    result.problem = body.error().result_type + ": " + body.error().detail;
    if (held) result.policy = held->policy;  // §5.1: a failed refresh keeps the cached one
    co_return result;
  }
  auto policy = parse_mta_sts_policy(*body);
  if (!policy) {
    result.problem = "sts-policy-invalid: " + policy.error();
    if (held) result.policy = held->policy;
    co_return result;
  }
  const auto expires = now_() + policy->max_age;
  {
    std::lock_guard lock(mu_);
    entries_[domain] = Entry{record->id, *policy, expires, *body};
  }
  if (store_) {
    store_->save(CachedMtaStsPolicy{domain, record->id,
                                    std::chrono::time_point_cast<std::chrono::seconds>(expires), *body,
                                    *policy});
  }
  result.policy = std::move(*policy);
  co_return result;
}

}  // namespace hikyaku::relay
