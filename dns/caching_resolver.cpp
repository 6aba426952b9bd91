// CachingResolver: LRU table keyed by (name, type); RFC 1035 §7.4 TTL countdown, RFC 2308 §5
// negative caching (capped), §7 (SERVFAIL and timeouts are not cached).
#include "dns/caching_resolver.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio.hpp>

#include "dns/names.hpp"
#include "metrics/catalog.hpp"

namespace hikyaku::dns {

CachingResolver::CachingResolver(std::shared_ptr<Resolver> upstream, CacheOptions options)
    : upstream_(std::move(upstream)), options_(std::move(options)) {}

size_t CachingResolver::KeyHash::operator()(const Key& k) const {
  return std::hash<std::string>{}(k.name) ^ (static_cast<size_t>(k.type) * 0x9e3779b97f4a7c15ull);
}

CachingResolver::TimePoint CachingResolver::now() const {
  return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

asio::awaitable<DnsAnswer> CachingResolver::query(std::string name, RecordType type) {
  auto normalised = normalise_name(name);
  if (!normalised || options_.max_entries == 0) {
    co_return co_await upstream_->query(std::move(name), type);
  }
  Key key{*normalised, type};
  if (auto hit = find(key)) {
    metrics::process().dns_cache.with({"hit"}).inc();
    co_return std::move(*hit);
  }
  metrics::process().dns_cache.with({"miss"}).inc();
  DnsAnswer answer = co_await upstream_->query(*normalised, type);
  store(std::move(key), answer);
  co_return answer;
}

std::optional<DnsAnswer> CachingResolver::find(const Key& key) {
  const TimePoint t = now();
  std::lock_guard lock(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  const auto entry = it->second;
  if (t >= entry->expires) {
    lru_.erase(entry);
    index_.erase(it);
    ++stats_.misses;
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  ++stats_.hits;
  DnsAnswer answer = entry->answer;
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(t - entry->stored).count();
  answer.ttl = age >= answer.ttl ? 0 : answer.ttl - static_cast<uint32_t>(age);
  return answer;
}

void CachingResolver::store(Key key, const DnsAnswer& answer) {
  uint64_t ttl = 0;
  if (answer.ok()) {
    ttl = std::min<uint64_t>(answer.ttl, static_cast<uint64_t>(options_.max_ttl.count()));
  } else if (answer.permanent_failure()) {
    ttl = std::min<uint64_t>(answer.ttl, static_cast<uint64_t>(options_.max_negative_ttl.count()));
  }
  if (ttl == 0) return;  // temporary failures, TTL 0, and negative answers without an SOA

  const TimePoint t = now();
  std::lock_guard lock(mutex_);
  if (const auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  while (lru_.size() >= options_.max_entries && !lru_.empty()) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
  DnsAnswer stored = answer;
  stored.ttl = static_cast<uint32_t>(ttl);
  lru_.push_front(Entry{key, std::move(stored), t, t + std::chrono::seconds(ttl)});
  index_.emplace(std::move(key), lru_.begin());
}

CachingResolver::Stats CachingResolver::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

size_t CachingResolver::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

void CachingResolver::clear() {
  std::lock_guard lock(mutex_);
  lru_.clear();
  index_.clear();
}

}  // namespace hikyaku::dns
