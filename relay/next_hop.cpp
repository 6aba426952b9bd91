// Next-hop ordering: RFC 5321 §5.1 (MX preference, randomised ties, implicit MX),
// RFC 7505 §3-4 (null MX → 556 5.1.10), and per-family address order for one host.
#include "relay/next_hop.hpp"

#include <algorithm>
#include <set>

#include "core/address.hpp"

namespace hikyaku::relay {

namespace ip = boost::asio::ip;

std::string normalize_host(std::string_view name) {
  std::string out = core::ascii_lower(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

NextHops order_next_hops(std::string_view domain, const std::vector<MxRecord>& records,
                         std::mt19937_64& rng) {
  NextHops hops;
  // RFC 5321 §5.1: "If an empty list of MXs is returned, the address is treated as if it was
  // associated with an implicit MX RR, with a preference of 0, pointing to that host."
  if (records.empty()) {
    hops.implicit_mx = true;
    hops.hosts.push_back(normalize_host(domain));
    return hops;
  }

  struct Entry {
    uint16_t preference;
    std::string host;
  };
  std::vector<Entry> entries;
  entries.reserve(records.size());
  for (const auto& r : records) {
    std::string host = normalize_host(r.exchange);
    // RFC 7505 §3: the null MX's exchange is the root ("."), which names no host.
    if (host.empty()) continue;
    entries.push_back({r.preference, std::move(host)});
  }
  if (entries.empty()) {
    // RFC 7505 §4.2: "SMTP clients ... SHOULD NOT try to deliver" and the reply is 556 with
    // the enhanced code 5.1.10 ("Recipient address has null MX", RFC 7505 §5).
    hops.null_mx = core::SmtpReply::make(556, "5.1.10", "Recipient address has null MX");
    return hops;
  }

  // Ascending preference, then group by preference and shuffle each group: "If there are
  // multiple destinations with the same preference ... the SMTP client SHOULD randomize them
  // to spread the load across multiple mail exchangers" (RFC 5321 §5.1).
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& x, const Entry& y) { return x.preference < y.preference; });
  for (size_t start = 0; start < entries.size();) {
    size_t end = start + 1;
    while (end < entries.size() && entries[end].preference == entries[start].preference) ++end;
    std::shuffle(entries.begin() + static_cast<std::ptrdiff_t>(start),
                 entries.begin() + static_cast<std::ptrdiff_t>(end), rng);
    start = end;
  }

  std::set<std::string> seen;
  for (auto& e : entries) {
    if (seen.insert(e.host).second) hops.hosts.push_back(std::move(e.host));
  }
  return hops;
}

namespace {

bool is_v4(const ip::address& a) {
  return a.is_v4() || a.to_v6().is_v4_mapped();
}

ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

void append_family(const std::vector<ip::address>& aaaa, const std::vector<ip::address>& a,
                   bool want_v4, std::vector<ip::address>& out) {
  for (const auto* list : {&aaaa, &a}) {
    for (const auto& addr : *list) {
      if (is_v4(addr) != want_v4) continue;
      const auto u = unmapped(addr);
      if (std::find(out.begin(), out.end(), u) == out.end()) out.push_back(u);
    }
  }
}

}  // namespace

std::vector<ip::address> order_addresses(const std::vector<ip::address>& aaaa,
                                         const std::vector<ip::address>& a, FamilyPolicy policy) {
  std::vector<ip::address> out;
  switch (policy) {
    case FamilyPolicy::ipv6_first:
      append_family(aaaa, a, false, out);
      append_family(aaaa, a, true, out);
      break;
    case FamilyPolicy::ipv4_first:
      append_family(aaaa, a, true, out);
      append_family(aaaa, a, false, out);
      break;
    case FamilyPolicy::ipv4_only: append_family(aaaa, a, true, out); break;
    case FamilyPolicy::ipv6_only: append_family(aaaa, a, false, out); break;
  }
  return out;
}

}  // namespace hikyaku::relay
