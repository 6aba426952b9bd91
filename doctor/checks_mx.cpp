// MX checks: RFC 5321 §5.1 (MX targets must be host names with addresses, never CNAMEs per
// RFC 2181 §10.3, implicit MX from A/AAAA), RFC 7505 (null MX), RFC 1912 §2.1 and FCrDNS
// (RFC 8601 §3 "iprev") for the PTR records of the MX hosts.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "dns/names.hpp"
#include "doctor/checks.hpp"

namespace hikyaku::doctor {

namespace {

bool is_ip_literal(std::string_view name) {
  std::string_view n = name;
  if (n.size() > 2 && n.front() == '[' && n.back() == ']') return true;
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(std::string(n), ec);
  if (!ec) return true;
  // "192.0.2.1" canonicalised stays a name with all-numeric labels.
  const auto labels = dns::split_name(n);
  return labels.size() == 4 && std::all_of(labels.begin(), labels.end(), [](const std::string& l) {
           return !l.empty() && l.size() <= 3 && std::all_of(l.begin(), l.end(), [](char c) { return c >= '0' && c <= '9'; });
         });
}

}  // namespace

void check_mx(const DoctorOptions& o, Lookup& lookup, Report& report) {
  const std::string& domain = o.domain;
  const dns::DnsAnswer* mx = lookup.get(domain, dns::RecordType::mx);
  if (mx == nullptr) return;
  if (mx->temporary_failure()) {
    report.add(Severity::unknown, "mx.unknown", domain,
               fmt::format("the MX lookup failed ({}{}): nothing can be said about where mail goes",
                           dns::to_string(mx->status), mx->detail.empty() ? "" : ": " + mx->detail),
               "check that the domain's authoritative servers answer, then run again");
    return;
  }
  if (mx->status == dns::DnsStatus::nxdomain) {
    report.add(Severity::error, "mx.missing", domain, "the domain does not exist (NXDOMAIN)",
               "register or delegate the domain, then publish its MX records");
    return;
  }
  if (mx->mx.empty()) {
    auto implicit = host_addresses(lookup, domain);
    if (!implicit) return;
    if (implicit->addresses.empty()) {
      report.add(Severity::error, "mx.missing", domain, "no MX record and no A/AAAA: no mail can be delivered",
                 fmt::format("{}. 3600 IN MX 10 mail.{}.  ; or \"0 .\" (RFC 7505) if the domain takes no mail",
                             domain, domain));
    } else {
      report.add(Severity::warn, "mx.missing", domain,
                 "no MX record: mail goes to the domain's own A/AAAA (implicit MX, RFC 5321 §5.1)",
                 fmt::format("publish the intended mail host: {}. 3600 IN MX 10 mail.{}.", domain, domain));
    }
    return;
  }
  const bool has_null = std::any_of(mx->mx.begin(), mx->mx.end(), [](const dns::MxRecord& r) { return r.exchange == "."; });
  if (has_null) {
    if (mx->is_null_mx()) {
      report.add(Severity::info, "mx.null", domain, "null MX (RFC 7505): the domain accepts no mail");
      return;
    }
    report.add(Severity::error, "mx.null_mixed", domain,
               "a null MX \"0 .\" beside other MX records (RFC 7505 §3: it must be the only one)",
               "remove the \"0 .\" record if the domain receives mail, or every other MX if it does not");
  }
  std::vector<dns::MxRecord> records;
  for (const auto& r : mx->mx) {
    if (r.exchange != ".") records.push_back(r);
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const dns::MxRecord& a, const dns::MxRecord& b) { return a.preference < b.preference; });
  // Ask for every target's addresses in one round.
  std::map<std::string, std::optional<HostAddresses>> hosts;
  bool pending = false;
  for (const auto& r : records) {
    if (is_ip_literal(r.exchange)) continue;
    auto h = host_addresses(lookup, r.exchange);
    if (!h) pending = true;
    hosts[r.exchange] = std::move(h);
  }
  if (pending) return;

  const unsigned best = records.empty() ? 0 : records.front().preference;
  size_t working = 0;
  bool any_v6 = false;
  std::map<std::string, int> seen;
  for (const auto& r : records) {
    const std::string& host = r.exchange;
    if (++seen[host] == 2) {
      report.add(Severity::warn, "mx.duplicate", host,
                 fmt::format("{} is listed more than once in the MX set", host),
                 "keep one MX record per host (delete the duplicate)");
    }
    if (seen[host] > 1) continue;
    const std::string preferred = r.preference == best && records.size() > 1 ? " (a preferred host: senders try it first)" : "";
    if (is_ip_literal(host)) {
      report.add(Severity::error, "mx.ip_literal", host,
                 "the MX target is an IP address; RFC 5321 §5.1 needs a host name" + preferred,
                 fmt::format("mail.{}. 3600 IN A {}  ; DNS-only, then: {}. 3600 IN MX {} mail.{}.", domain, host,
                             domain, r.preference, domain));
      continue;
    }
    const HostAddresses& h = *hosts[host];
    if (h.temporary()) {
      report.add(Severity::unknown, "mx.unknown", host,
                 fmt::format("the address lookup of MX host {} failed ({})", host,
                             dns::to_string(h.a->temporary_failure() ? h.a->status : h.aaaa->status)));
      continue;
    }
    if (h.nxdomain()) {
      report.add(Severity::error, "mx.nxdomain", host, "the MX host does not exist (NXDOMAIN)" + preferred,
                 fmt::format("create {}. with its A/AAAA records, or point the MX at an existing mail host", host));
      continue;
    }
    if (!h.a->cname_chain.empty() || !h.aaaa->cname_chain.empty()) {
      const auto& chain = !h.a->cname_chain.empty() ? h.a->cname_chain : h.aaaa->cname_chain;
      report.add(Severity::warn, "mx.cname", host,
                 fmt::format("the MX target is an alias (CNAME to {}); RFC 2181 §10.3 and RFC 5321 §5.1 forbid it "
                             "and some senders refuse it", chain.back()),
                 fmt::format("{}. 3600 IN MX {} {}.", domain, r.preference, h.a->canonical_name));
    }
    if (h.addresses.empty()) {
      report.add(Severity::error, "mx.no_address", host,
                 "the MX host has no A or AAAA record: mail to it cannot be delivered" + preferred,
                 fmt::format("{}. 3600 IN A <address of the mail server>  ; DNS-only", host));
      continue;
    }
    ++working;
    any_v6 = any_v6 || h.has_v6();
  }
  if (working == 0) return;
  if (seen.size() == 1) {
    report.add(Severity::info, "mx.single", domain,
               fmt::format("one MX host ({}): while it is down, senders queue and retry", records.front().exchange),
               "a second MX host at a higher preference number keeps mail flowing during maintenance");
  }
  std::map<unsigned, int> by_preference;
  for (const auto& [host, count] : seen) {
    for (const auto& r : records) {
      if (r.exchange == host) {
        ++by_preference[r.preference];
        break;
      }
    }
  }
  for (const auto& [pref, count] : by_preference) {
    if (count > 1) {
      report.add(Severity::info, "mx.equal_preference", domain,
                 fmt::format("{} MX hosts share preference {}: senders pick among them at random (load sharing)", count, pref),
                 "intended for equal servers; give the backup a higher number if one is only a fallback");
    }
  }
  if (!any_v6) {
    report.add(Severity::info, "mx.no_ipv6", domain, "no MX host has an AAAA record: IPv6-only senders cannot reach the domain",
               "add AAAA records to the MX hosts when they have IPv6");
  }
  report.add(Severity::ok, "mx.ok", domain, fmt::format("{} working MX host(s)", working));
}

void check_ptr(const DoctorOptions& o, Lookup& lookup, Report& report) {
  const dns::DnsAnswer* mx = lookup.get(o.domain, dns::RecordType::mx);
  if (mx == nullptr || !mx->ok() || mx->is_null_mx()) return;
  std::vector<boost::asio::ip::address> addresses;
  std::map<std::string, std::string> host_of;
  bool pending = false;
  for (const auto& r : mx->mx) {
    if (r.exchange == ".") continue;
    auto h = host_addresses(lookup, r.exchange);
    if (!h) {
      pending = true;
      continue;
    }
    for (const auto& a : h->addresses) {
      if (o.ranges->proxied(a)) continue;  // proxy.mx says it; the CDN's PTR is not the owner's
      if (host_of.emplace(a.to_string(), r.exchange).second) addresses.push_back(a);
    }
  }
  if (pending) return;
  if (addresses.size() > 16) addresses.resize(16);
  // PTR of each address, then the addresses of each PTR name.
  std::vector<const dns::DnsAnswer*> ptrs;
  for (const auto& a : addresses) ptrs.push_back(lookup.get(dns::reverse_name(a), dns::RecordType::ptr));
  if (std::find(ptrs.begin(), ptrs.end(), nullptr) != ptrs.end()) return;
  for (size_t i = 0; i < addresses.size(); ++i) {
    for (const auto& name : ptrs[i]->names) pending = !host_addresses(lookup, name) || pending;
  }
  if (pending) return;
  for (size_t i = 0; i < addresses.size(); ++i) {
    const std::string ip = addresses[i].to_string();
    const std::string subject = host_of[ip] + " " + ip;
    const dns::DnsAnswer& ptr = *ptrs[i];
    if (ptr.temporary_failure()) {
      report.add(Severity::unknown, "ptr.unknown", subject, fmt::format("the PTR lookup failed ({})", dns::to_string(ptr.status)));
      continue;
    }
    if (ptr.names.empty()) {
      report.add(Severity::warn, "ptr.missing", subject,
                 "the MX host's address has no PTR record: mail it sends is often refused (FCrDNS)",
                 fmt::format("{}. IN PTR {}.  ; set by whoever holds the address block", dns::reverse_name(addresses[i]),
                             host_of[ip]));
      continue;
    }
    bool back = false;
    for (const auto& name : ptr.names) {
      auto h = host_addresses(lookup, name);
      if (std::find(h->addresses.begin(), h->addresses.end(), addresses[i]) != h->addresses.end()) back = true;
    }
    if (!back) {
      report.add(Severity::warn, "ptr.mismatch", subject,
                 fmt::format("the PTR name {} does not resolve back to {} (forward-confirmed reverse DNS fails)",
                             ptr.names.front(), ip),
                 fmt::format("{}. IN A/AAAA {}  ; or change the PTR to a name that does", ptr.names.front(), ip));
      continue;
    }
    report.add(Severity::ok, "ptr.ok", subject, fmt::format("PTR {} resolves back", ptr.names.front()));
  }
}

}  // namespace hikyaku::doctor
