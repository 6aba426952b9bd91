// Helpers for the dns unit tests: run one awaitable to completion on an io_context with a
// deadline, a fake clock, a scripted upstream resolver, and sorted views of answer records.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "dns/resolver.hpp"

namespace hikyaku::dns::test {

// Runs `work` on `io` until it completes (or `limit` passes: then the result is empty).
template <class T>
std::optional<T> run_for(asio::io_context& io, asio::awaitable<T> work,
                         std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  std::optional<T> result;
  bool done = false;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    done = true;
    if (!e) result = std::move(value);
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
  return result;
}

inline DnsAnswer query(asio::io_context& io, Resolver& resolver, const std::string& name,
                       RecordType type) {
  auto answer = run_for(io, resolver.query(name, type));
  EXPECT_TRUE(answer.has_value()) << "no answer for " << name;
  return answer.value_or(DnsAnswer::failure(name, type, DnsStatus::servfail, "test: no answer"));
}

inline std::vector<std::string> sorted_strings(const DnsAnswer& a) {
  std::vector<std::string> out;
  for (const auto& m : a.mx) out.push_back(std::to_string(m.preference) + " " + m.exchange);
  for (const auto& ip : a.addresses) out.push_back(ip.to_string());
  for (const auto& t : a.texts) out.push_back(t);
  for (const auto& n : a.names) out.push_back(n);
  std::sort(out.begin(), out.end());
  return out;
}

class FakeClock {
 public:
  std::chrono::steady_clock::time_point now() const { return now_; }
  void advance(std::chrono::milliseconds d) { now_ += d; }
  auto function() {
    return [this] { return now(); };
  }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
};

// An upstream that answers from a table and counts what it was asked.
class ScriptedResolver final : public Resolver {
 public:
  void set(const std::string& name, RecordType type, DnsAnswer answer) {
    std::lock_guard lock(mutex_);
    answers_[{name, type}] = std::move(answer);
  }
  int calls(const std::string& name, RecordType type) const {
    std::lock_guard lock(mutex_);
    auto it = calls_.find({name, type});
    return it == calls_.end() ? 0 : it->second;
  }
  int total_calls() const { return total_.load(); }

  asio::awaitable<DnsAnswer> query(std::string name, RecordType type) override {
    ++total_;
    std::lock_guard lock(mutex_);
    ++calls_[{name, type}];
    auto it = answers_.find({name, type});
    if (it == answers_.end()) co_return DnsAnswer::failure(name, type, DnsStatus::nxdomain);
    co_return it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, RecordType>, DnsAnswer> answers_;
  std::map<std::pair<std::string, RecordType>, int> calls_;
  std::atomic<int> total_{0};
};

inline DnsAnswer ok_a(const std::string& name, const std::string& ip, uint32_t ttl) {
  DnsAnswer a = DnsAnswer::failure(name, RecordType::a, DnsStatus::ok);
  a.addresses.push_back(asio::ip::make_address(ip));
  a.ttl = ttl;
  return a;
}

}  // namespace hikyaku::dns::test
