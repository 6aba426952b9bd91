// The DNS Tree Walk's queries, RFC 9989 §4.10 steps 1, 2, 5-7: "_dmarc.<target>" TXT through
// dns::Resolver (so the caching resolver keeps the answers), stopping at psd=y or psd=n, or
// incomplete at the first temporary failure or once the deadline has passed.
#include "auth/dmarc_tree_walk_dns.hpp"

namespace hikyaku::auth {

asio::awaitable<TreeWalk> tree_walk(dns::Resolver& resolver, std::string domain,
                                    std::chrono::steady_clock::time_point deadline) {
  TreeWalk walk;
  walk.start = std::move(domain);
  for (const auto& target : tree_walk_targets(walk.start)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      walk.failure = "_dmarc." + target + " TXT: not looked up: the authentication lookup time ran out";
      co_return walk;
    }
    walk.queried.push_back(target);
    std::string name = "_dmarc." + target;
    const dns::DnsAnswer answer = co_await resolver.query(std::move(name), dns::RecordType::txt);
    if (answer.temporary_failure()) {
      walk.failure = "_dmarc." + target + " TXT: " + std::string(dns::to_string(answer.status)) +
                     (answer.detail.empty() ? "" : " (" + answer.detail + ")");
      co_return walk;
    }
    if (!answer.ok()) continue;  // NXDOMAIN / NODATA: an empty set
    auto found = single_dmarc_record(answer.texts, target, walk.notes);
    if (!found) continue;
    const bool stop = found->record.psd != PsdFlag::unspecified;  // steps 2 and 6: psd=y or psd=n
    walk.records.push_back(std::move(*found));
    if (stop) break;
  }
  walk.complete = true;
  co_return walk;
}

}  // namespace hikyaku::auth
