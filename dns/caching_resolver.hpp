// A TTL cache in front of any Resolver (RFC 1035 §7.4 caching, TTLs counted down on reuse;
// RFC 2308 §5 negative caching of NXDOMAIN/NODATA, capped; temporary failures never cached,
// RFC 2308 §7). Bounded: the least recently used entry goes when the bound is reached.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "dns/resolver.hpp"

namespace hikyaku::dns {

struct CacheOptions {
  // Entries kept at most (dns.cache_entries); 0 turns caching off. Bounds the memory a flood
  // of distinct names (random subdomains in MAIL FROM, DKIM selectors) can take.
  size_t max_entries = 100000;
  // Negative answers are kept for min(their RFC 2308 TTL, this). A fixed, short cap so that a
  // domain fixing its DNS is seen within a minute; an answer without an SOA is not cached.
  std::chrono::seconds max_negative_ttl{60};
  // Positive answers are kept for min(their TTL, this) (RFC 1035 §7.4 leaves the cap to us).
  std::chrono::seconds max_ttl{86400};
  // The time source; steady_clock::now when empty. Tests inject a fake.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// Thread-safe: one mutex around the table, never held across the upstream query. Two misses
// for the same key at once both ask upstream (the later answer wins the slot).
class CachingResolver final : public Resolver {
 public:
  CachingResolver(std::shared_ptr<Resolver> upstream, CacheOptions options = {});

  // A hit returns the stored answer with its TTL reduced by the time it has been cached.
  asio::awaitable<DnsAnswer> query(std::string name, RecordType type) override;

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t evictions = 0;  // entries dropped for room (expiry is not counted)
  };
  Stats stats() const;
  size_t size() const;
  void clear();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Key {
    std::string name;
    RecordType type;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    Key key;
    DnsAnswer answer;
    TimePoint stored;
    TimePoint expires;
  };

  TimePoint now() const;
  std::optional<DnsAnswer> find(const Key& key);
  void store(Key key, const DnsAnswer& answer);

  std::shared_ptr<Resolver> upstream_;
  CacheOptions options_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index_;
  Stats stats_;
};

}  // namespace hikyaku::dns
