// Test support for the DMARC tests: a resolver answering from zone-file text that records the
// names asked and fails chosen names temporarily, and synchronous wrappers around the
// coroutines (policy discovery, the Tree Walk, the whole evaluation).
#pragma once
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <string>
#include <vector>

#include "auth/dmarc_evaluate.hpp"
#include "auth/dmarc_lookup.hpp"
#include "auth/dmarc_tree_walk_dns.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::auth::testing {

class RecordingResolver final : public dns::Resolver {
 public:
  explicit RecordingResolver(const std::string& zone_text, std::vector<std::string> failing = {})
      : zone_(load(zone_text)), failing_(std::move(failing)) {}
  asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
    asked.push_back(name + (type == dns::RecordType::txt ? " TXT" : type == dns::RecordType::a ? " A" : " ?"));
    for (const auto& f : failing_) {
      if (f == name) co_return dns::DnsAnswer::failure(name, type, dns::DnsStatus::servfail, "test");
    }
    co_return zone_.lookup(name, type);
  }
  std::vector<std::string> asked;  // "name TYPE", in order

 private:
  static dns::ZoneFileResolver load(const std::string& text) {
    auto z = dns::ZoneFileResolver::from_text(text, "dmarc.zone");
    EXPECT_TRUE(z.has_value());
    return std::move(*z);
  }
  dns::ZoneFileResolver zone_;
  std::vector<std::string> failing_;
};

// A zone under "test." (the TLD all test names share): `body` in $ORIGIN test. syntax.
inline std::string zone(const std::string& body) {
  return "$ORIGIN test.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n" + body;
}

template <typename T>
T run_coroutine(asio::awaitable<T> task) {
  asio::io_context io;
  T out{};
  asio::co_spawn(io, std::move(task), [&out](std::exception_ptr e, T value) {
    EXPECT_FALSE(e);
    out = std::move(value);
  });
  io.run();
  return out;
}

inline TreeWalk walk(dns::Resolver& r, const std::string& domain) { return run_coroutine(tree_walk(r, domain)); }

inline DmarcRecordLookup discover(dns::Resolver& r, const std::string& author) {
  return run_coroutine(fetch_dmarc_record(r, author));
}

inline DmarcOutcome evaluate(dns::Resolver& r, const std::string& author, const SpfVerdict& spf,
                             const DkimVerdict& dkim) {
  const DmarcRecordLookup lookup = discover(r, author);
  return run_coroutine(evaluate_dmarc(r, author, lookup, spf, dkim));
}

inline SpfVerdict spf(SpfResult r, const std::string& domain) {
  SpfVerdict v;
  v.mail_from.result = r;
  v.mail_from.identity = "user@" + domain;
  v.mail_from.domain = domain;
  return v;
}

inline DkimVerdict dkim(DkimResult r, const std::string& d) {
  DkimSignatureOutcome s;
  s.result = r;
  s.domain = d;
  s.selector = "sel";
  return {s};
}

}  // namespace hikyaku::auth::testing
