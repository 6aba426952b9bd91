// Idle upstream connections kept between transactions for reuse (RFC 5321 §4.1.1.5 RSET starts
// the next one), keyed by (host, address, TLS mode), bounded in total and per key, each dropped
// after an idle timeout. The pool does no I/O: what it evicts is handed back to be closed.
#pragma once
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "relay/smtp_client.hpp"

namespace hikyaku::relay {

struct PoolLimits {
  // Idle connections kept over all upstreams: each holds a socket here and a session slot at
  // the upstream, which may count connections per client.
  size_t max_total = 32;
  // Per (host, address, TLS mode): concurrent deliveries to one destination seldom need more.
  size_t max_per_key = 4;
  // How long an idle connection is kept. Servers wait at least 5 minutes for a command
  // (RFC 5321 §4.5.3.2.7), so a short idle time never races their timeout, and it frees their
  // slot soon (Postfix keeps cached connections 2s by default).
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(10);
  // Transactions per connection before it is closed, bounding a session's lifetime.
  size_t max_transactions = 100;
};

struct PoolKey {
  std::string host;      // the MX host name
  std::string endpoint;  // "[2001:db8::1]:25"
  // The TLS asked for (tls_mode_key: level, TLSA records, report-only), not the outcome: a
  // connection opened under one requirement never serves a stricter or different one.
  std::string tls;
  bool operator==(const PoolKey&) const = default;
};

// The bookkeeping, for any connection type (tests use a plain value). Thread-safe.
template <class Conn>
class IdlePool {
 public:
  using Clock = std::chrono::steady_clock;
  explicit IdlePool(PoolLimits limits = {}) : limits_(limits) {}

  const PoolLimits& limits() const { return limits_; }

  // The most recently idle connection for `host` in TLS mode `tls` (any address), or null.
  // Connections idle past the timeout are dropped on the way (destroyed: their socket closes).
  std::unique_ptr<Conn> take(const std::string& host, const std::string& tls, Clock::time_point now) {
    std::lock_guard lock(mu_);
    drop_expired(now);
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (it->key.host == host && it->key.tls == tls) {
        auto conn = std::move(it->conn);
        entries_.erase(std::next(it).base());
        return conn;
      }
    }
    return nullptr;
  }

  // Keeps `conn` idle from `now`. Returns what must be closed instead: `conn` itself when its
  // key is full, or the longest-idle connection when the pool is.
  std::vector<std::unique_ptr<Conn>> put(PoolKey key, std::unique_ptr<Conn> conn,
                                         Clock::time_point now) {
    std::vector<std::unique_ptr<Conn>> out;
    if (!conn) return out;
    std::lock_guard lock(mu_);
    drop_expired(now);
    size_t same = 0;
    for (const auto& e : entries_) same += e.key == key ? 1 : 0;
    if (same >= limits_.max_per_key || limits_.max_total == 0) {
      out.push_back(std::move(conn));
      return out;
    }
    if (entries_.size() >= limits_.max_total) {
      out.push_back(std::move(entries_.front().conn));
      entries_.pop_front();
    }
    entries_.push_back(Entry{std::move(key), std::move(conn), now});
    return out;
  }

  // Removes and returns the connections idle past the timeout.
  std::vector<std::unique_ptr<Conn>> expire(Clock::time_point now) {
    std::lock_guard lock(mu_);
    std::vector<std::unique_ptr<Conn>> out;
    while (!entries_.empty() && now - entries_.front().since >= limits_.idle_timeout) {
      out.push_back(std::move(entries_.front().conn));
      entries_.pop_front();
    }
    return out;
  }

  // Removes and returns every connection (at shutdown).
  std::vector<std::unique_ptr<Conn>> clear() {
    std::lock_guard lock(mu_);
    std::vector<std::unique_ptr<Conn>> out;
    for (auto& e : entries_) out.push_back(std::move(e.conn));
    entries_.clear();
    return out;
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    PoolKey key;
    std::unique_ptr<Conn> conn;
    Clock::time_point since;
  };
  // Entries are in the order they became idle, so the expired ones are at the front.
  void drop_expired(Clock::time_point now) {
    while (!entries_.empty() && now - entries_.front().since >= limits_.idle_timeout) {
      entries_.pop_front();
    }
  }

  PoolLimits limits_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;
};

// The pool of SmtpConnections that deliver_to_host() uses.
class ConnectionPool : public IdlePool<SmtpConnection> {
 public:
  using IdlePool::IdlePool;
  using IdlePool::put;
  using IdlePool::take;

  static PoolKey key_of(const SmtpConnection& c) {
    return PoolKey{c.host(), c.endpoint_text(), tls_mode_key(c.tls_requirement())};
  }
  std::unique_ptr<SmtpConnection> take(const std::string& host, const TlsRequirement& tls) {
    return take(host, tls_mode_key(tls), Clock::now());
  }
  std::vector<std::unique_ptr<SmtpConnection>> put(std::unique_ptr<SmtpConnection> conn) {
    auto key = key_of(*conn);
    return put(std::move(key), std::move(conn), Clock::now());
  }
  // Closes idle-expired connections every `interval` (QUIT in the background) until stop().
  // Single-threaded use (one io_context thread or strand); the pool may be destroyed right
  // after stop().
  asio::awaitable<void> run_sweeper(std::chrono::milliseconds interval);
  // Stops the sweeper and closes every idle connection with QUIT in the background.
  void stop();

 private:
  std::shared_ptr<asio::steady_timer> sweeper_;
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
};

}  // namespace hikyaku::relay
