// With -c FILE: the domain is meant to be served by this Hikyaku. Its MX must name our inbound
// hosts (RFC 5321 §5.1), its SPF include our SPF name (RFC 7208 §5.2); our DKIM and ARC keys
// must be published as we sign with them (RFC 6376 §3.6.1, RFC 8617 §4.1.3); every egress
// address needs a PTR that resolves back and matches the HELO name (RFC 5321 §4.1.4 and the
// FCrDNS receivers apply), and the SRS domain's SPF must pass every egress address.
#include <algorithm>

#include <fmt/format.h>

#include "auth/tag_list.hpp"
#include "dns/names.hpp"
#include "doctor/checks.hpp"
#include "doctor/spf_record.hpp"

namespace hikyaku::doctor {

namespace {

void check_served_domain(const DoctorOptions& o, const OurSide& ours, Lookup& lookup, Report& report) {
  const dns::DnsAnswer* mx = lookup.get(o.domain, dns::RecordType::mx);
  const dns::DnsAnswer* txt = lookup.get(o.domain, dns::RecordType::txt);
  if (mx == nullptr || txt == nullptr) return;
  if (!ours.inbound_mx.empty() && !mx->temporary_failure()) {
    std::vector<std::string> missing, foreign;
    for (const auto& m : ours.inbound_mx) {
      if (std::none_of(mx->mx.begin(), mx->mx.end(), [&](const dns::MxRecord& r) { return r.exchange == m.host; })) {
        missing.push_back(m.host);
      }
    }
    for (const auto& r : mx->mx) {
      if (std::none_of(ours.inbound_mx.begin(), ours.inbound_mx.end(), [&](const OurMx& m) { return m.host == r.exchange; })) {
        foreign.push_back(r.exchange);
      }
    }
    std::string fix;
    for (const auto& m : ours.inbound_mx) fix += fmt::format("{}{}. 3600 IN MX {} {}.", fix.empty() ? "" : " / ", o.domain, m.preference, m.host);
    if (missing.size() == ours.inbound_mx.size()) {
      report.add(Severity::error, "ours.mx", o.domain, "the MX records do not name any of our inbound hosts: mail never reaches us", fix);
    } else if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
      report.add(Severity::warn, "ours.mx", o.domain, "our inbound host(s) missing from the MX set: " + names, fix);
    } else if (!foreign.empty()) {
      std::string names;
      for (const auto& f : foreign) names += (names.empty() ? "" : ", ") + f;
      report.add(Severity::warn, "ours.mx", o.domain, "MX hosts that are not ours take part of the mail: " + names,
                 "remove them unless they forward to us");
    } else {
      report.add(Severity::ok, "ours.mx", o.domain, "the MX records name our inbound hosts");
    }
  }
  if (!ours.spf_include.empty() && txt->ok()) {
    const auto records = spf_records(*txt);
    bool included = false;
    std::string current;
    if (records.size() == 1) {
      current = records.front();
      if (auto parsed = parse_spf_record(current)) {
        for (const auto& t : parsed->terms) {
          if (!t.modifier && t.name == "include" && dns::normalise_name(t.domain) == ours.spf_include) included = true;
        }
      }
    }
    if (included) {
      report.add(Severity::ok, "ours.spf", o.domain, "the SPF record includes " + ours.spf_include);
    } else if (records.size() <= 1) {
      std::string merged = current.empty() ? "v=spf1 include:" + ours.spf_include + " ~all"
                                           : "v=spf1 include:" + ours.spf_include + current.substr(6);
      report.add(Severity::warn, "ours.spf", o.domain, "the SPF record does not include our SPF name " + ours.spf_include,
                 fmt::format("{}. 3600 IN TXT {}", o.domain, quote_txt(merged)));
    }
  }
}

void check_keys(const OurSide& ours, Lookup& lookup, Report& report) {
  for (const auto& key : ours.keys) {
    const std::string name = key.selector + "._domainkey." + key.domain;
    const std::string id = key.arc ? "ours.arc" : "ours.dkim";
    const dns::DnsAnswer* txt = lookup.get(name, dns::RecordType::txt);
    if (txt == nullptr) continue;
    const std::string fix = fmt::format("{}. 3600 IN TXT {}", name, quote_txt(key.record));
    if (txt->temporary_failure()) {
      report.add(Severity::unknown, id, name, "the key lookup failed");
      continue;
    }
    auto ours_tags = auth::parse_tag_list(key.record);
    const std::string* our_p = ours_tags ? ours_tags->find("p") : nullptr;
    bool match = false;
    for (const auto& t : txt->texts) {
      auto tags = auth::parse_tag_list(t);
      const std::string* p = tags ? tags->find("p") : nullptr;
      if (p && our_p && auth::strip_fws(*p) == auth::strip_fws(*our_p)) match = true;
    }
    if (txt->texts.empty()) {
      report.add(Severity::error, id, name,
                 fmt::format("our {} key (selector {}) is not published: receivers cannot verify what we sign",
                             key.arc ? "ARC" : "DKIM", key.selector),
                 fix);
    } else if (!match) {
      report.add(Severity::error, id, name, "the published key is not the public half of our private key", fix);
    } else {
      report.add(Severity::ok, id, name, "published and matches our private key");
    }
  }
}

void check_egress(const OurSide& ours, Lookup& lookup, Report& report) {
  bool pending = false;
  std::vector<const dns::DnsAnswer*> ptrs;
  for (const auto& e : ours.egress) {
    auto rev = dns::reverse_name(std::string_view(e));
    const dns::DnsAnswer* ptr = rev ? lookup.get(*rev, dns::RecordType::ptr) : nullptr;
    if (ptr == nullptr) pending = true;
    else for (const auto& n : ptr->names) pending = !host_addresses(lookup, n) || pending;
    ptrs.push_back(ptr);
  }
  auto helo = ours.helo_name.empty() ? std::nullopt : host_addresses(lookup, ours.helo_name);
  if (!ours.helo_name.empty() && !helo) pending = true;
  if (pending) return;
  for (size_t i = 0; i < ours.egress.size(); ++i) {
    const std::string& ip = ours.egress[i];
    boost::system::error_code ec;
    const auto addr = boost::asio::ip::make_address(ip, ec);
    const std::string rev = *dns::reverse_name(std::string_view(ip));
    const dns::DnsAnswer& ptr = *ptrs[i];
    if (ptr.temporary_failure()) {
      report.add(Severity::unknown, "ours.ptr", ip, "the PTR lookup failed");
      continue;
    }
    if (ptr.names.empty()) {
      report.add(Severity::error, "ours.ptr", ip,
                 "our egress address has no PTR: many receivers refuse mail from it",
                 fmt::format("{}. IN PTR {}.  ; set by whoever holds the address block", rev, ours.helo_name));
      continue;
    }
    bool back = false, is_helo = false;
    for (const auto& n : ptr.names) {
      auto h = host_addresses(lookup, n);
      if (std::find(h->addresses.begin(), h->addresses.end(), addr) != h->addresses.end()) back = true;
      if (n == ours.helo_name) is_helo = true;
    }
    if (!back) {
      report.add(Severity::error, "ours.ptr", ip,
                 fmt::format("the PTR name {} does not resolve back to {} (FCrDNS fails)", ptr.names.front(), ip),
                 fmt::format("{}. 3600 IN {} {}", ptr.names.front(), addr.is_v4() ? "A" : "AAAA", ip));
    } else if (!is_helo) {
      report.add(Severity::warn, "ours.helo", ip,
                 fmt::format("the PTR name {} is not our HELO name {}", ptr.names.front(), ours.helo_name),
                 fmt::format("{}. IN PTR {}.  ; or set [relay] helo_name = \"{}\"", rev, ours.helo_name, ptr.names.front()));
    } else {
      report.add(Severity::ok, "ours.ptr", ip, fmt::format("PTR {} resolves back and is our HELO name", ptr.names.front()));
    }
  }
}

void check_srs_spf(const DoctorOptions& o, const OurSide& ours, Lookup& lookup, Report& report) {
  if (ours.srs_domain.empty() || ours.egress.empty()) return;
  auto v4 = walk_spf(lookup, *o.ranges, ours.srs_domain, false);
  auto v6 = walk_spf(lookup, *o.ranges, ours.srs_domain, true);
  const dns::DnsAnswer* txt = lookup.get(ours.srs_domain, dns::RecordType::txt);
  if (!v4 || !v6 || txt == nullptr) return;
  std::vector<std::string> uncovered;
  for (const auto& ip : ours.egress) {
    boost::system::error_code ec;
    const auto addr = boost::asio::ip::make_address(ip, ec);
    const auto& pass = addr.is_v4() ? v4->pass : v6->pass;
    if (std::none_of(pass.begin(), pass.end(), [&](const Prefix& p) { return p.contains(addr); })) uncovered.push_back(ip);
  }
  if (uncovered.empty()) {
    report.add(Severity::ok, "ours.srs_spf", ours.srs_domain, "the SRS domain's SPF passes every egress address");
    return;
  }
  std::string list, terms;
  for (const auto& u : uncovered) list += (list.empty() ? "" : ", ") + u;
  for (const auto& p : ours.egress_prefixes) terms += (p.find(':') != std::string::npos ? " ip6:" : " ip4:") + p;
  const bool conclusive = v4->conclusive && v6->conclusive && !spf_records(*txt).empty();
  report.add(conclusive || spf_records(*txt).empty() ? Severity::error : Severity::warn, "ours.srs_spf", ours.srs_domain,
             "the SRS domain's SPF does not pass egress address(es) " + list +
                 ": forwarded mail fails SPF at the destination",
             fmt::format("{}. 3600 IN TXT {}", ours.srs_domain, quote_txt("v=spf1" + terms + " -all")));
}

// Names delegated to us by CNAME must be answered as CNAMEs by every authoritative server: a
// provider that "flattens" CNAMEs answers with a copy of the target's A/TXT data instead, which
// hides the delegation and goes stale when our side changes (RFC 1034 §3.6.2, RFC 2181 §10.1).
void check_cnames(const DoctorOptions& o, const OurSide& ours, Lookup& lookup, Report& report) {
  if (ours.cnames.empty()) return;
  std::string zone;
  auto servers = authoritative_servers(o, lookup, zone, nullptr);
  if (!servers) return;
  bool pending = false;
  for (const auto& [label, target] : ours.cnames) {
    const std::string name = label + "." + o.domain;
    const std::string fix = fmt::format("{}. 3600 IN CNAME {}.  ; turn CNAME flattening off for this name", name, target);
    std::vector<std::string> flattened, wrong, missing;
    size_t answered = 0;
    for (const auto& s : *servers) {
      const Observation* c = lookup.get_direct(s, name, dns::RecordType::cname);
      const Observation* a = lookup.get_direct(s, name, dns::RecordType::a);
      const Observation* t = lookup.get_direct(s, name, dns::RecordType::txt);
      if (c == nullptr || a == nullptr || t == nullptr) {
        pending = true;
        continue;
      }
      if (c->rcode < 0 || c->answer.temporary_failure()) continue;  // propagation.* reports it
      ++answered;
      if (c->answer.ok() && !c->answer.names.empty()) {
        if (c->answer.names.front() != target) wrong.push_back(fmt::format("{} (CNAME {})", s, c->answer.names.front()));
        continue;
      }
      if (c->answer.status == dns::DnsStatus::nxdomain) {
        missing.push_back(s);
      } else if (!a->answer.addresses.empty() || !t->answer.texts.empty()) {
        flattened.push_back(fmt::format("{} ({})", s, !a->answer.addresses.empty() ? "A " + a->answer.addresses.front().to_string()
                                                                                   : "TXT"));
      } else {
        missing.push_back(s);
      }
    }
    if (pending) continue;
    const auto list = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
      return out;
    };
    if (!flattened.empty()) {
      report.add(Severity::error, "cname.flattened", name,
                 fmt::format("{} must be a CNAME to {}, but is answered with the target's data instead at {}: the DNS "
                             "provider flattens it, so the delegation is hidden and changes on our side do not follow",
                             name, target, list(flattened)),
                 fix);
    } else if (!wrong.empty()) {
      report.add(Severity::error, "cname.flattened", name,
                 fmt::format("{} is a CNAME to another name at {}; it must point at {}", name, list(wrong), target), fix);
    } else if (!missing.empty()) {
      report.add(Severity::error, "cname.flattened", name,
                 fmt::format("{} has no CNAME at {}", name, list(missing)), fix);
    } else if (answered > 0) {
      report.add(Severity::ok, "cname.ok", name, fmt::format("a CNAME to {} at every authoritative server", target));
    }
  }
}

}  // namespace

void check_ours(const DoctorOptions& o, Lookup& lookup, Report& report) {
  const OurSide& ours = *o.ours;
  check_served_domain(o, ours, lookup, report);
  check_keys(ours, lookup, report);
  check_egress(ours, lookup, report);
  check_srs_spf(o, ours, lookup, report);
  check_cnames(o, ours, lookup, report);
}

}  // namespace hikyaku::doctor
