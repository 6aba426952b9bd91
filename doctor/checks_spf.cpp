// SPF record diagnosis (RFC 7208): §4.5 one record per name, §4.6.4 at most 10 DNS-querying
// terms and 2 void lookups across includes and redirects, §5.1 "all", §5.5 "ptr" (SHOULD NOT),
// §3.4 a record of at most 450 octets, evaluated once for an IPv4 and once for an IPv6 sender.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "dns/names.hpp"
#include "doctor/checks.hpp"
#include "doctor/spf_record.hpp"

namespace hikyaku::doctor {

namespace {

constexpr int kMaxLookups = 10;      // RFC 7208 §4.6.4
constexpr int kMaxVoidLookups = 2;   // RFC 7208 §4.6.4
constexpr size_t kMaxMxNames = 10;   // RFC 7208 §4.6.4: mx evaluates at most 10 names
constexpr size_t kMaxRecordOctets = 450;  // RFC 7208 §3.4
constexpr size_t kMaxDepth = 20;

struct Walker {
  Lookup& lookup;
  const ProxyRanges& ranges;
  SpfWalk& w;
  bool pending = false;

  // Addresses of `host` for this walk's family; nullptr while pending.
  const dns::DnsAnswer* addresses(const std::string& host) {
    const dns::DnsAnswer* a = lookup.get(host, w.v6 ? dns::RecordType::aaaa : dns::RecordType::a);
    if (a == nullptr) pending = true;
    return a;
  }

  void note_addresses(const SpfTerm& t, const std::string& host, const dns::DnsAnswer& a, bool collect) {
    for (const auto& ip : a.addresses) {
      if (collect && t.qualifier == '+') w.pass.push_back(Prefix{ip, w.v6 ? t.cidr6 : t.cidr4});
      if (auto range = ranges.proxied(ip); range && !ranges.is_mail_host(host)) {
        w.proxied.push_back(fmt::format("\"{}\" ({} resolves to {} in the proxy range {})", t.text, host, ip.to_string(),
                                        range->text()));
      }
    }
  }

  void visit(const std::string& name, std::vector<std::string> chain, bool top, bool collect) {
    if (chain.size() > kMaxDepth) return;
    const dns::DnsAnswer* txt = lookup.get(name, dns::RecordType::txt);
    if (txt == nullptr) {
      pending = true;
      return;
    }
    if (txt->temporary_failure()) {
      w.temporary = true;
      w.conclusive = false;
      return;
    }
    const auto records = spf_records(*txt);
    if (records.empty()) {
      if (!top) {
        w.missing.push_back(name);
        if (!txt->ok()) ++w.void_lookups;
      }
      return;
    }
    if (records.size() > 1) {
      if (!top) w.multiple.push_back(name);
      return;
    }
    auto record = parse_spf_record(records.front());
    if (!record) {
      if (!top) w.syntax.push_back(fmt::format("{}: column {}: {}", name, record.error().column, record.error().message));
      return;
    }
    const auto target_of = [&](const SpfTerm& t) -> std::optional<std::string> {
      if (t.macros) {
        w.conclusive = false;
        return std::nullopt;
      }
      if (t.domain.empty()) return name;
      return dns::normalise_name(t.domain);
    };
    const auto follow = [&](const SpfTerm& t, bool collect_inner) {
      ++w.lookups;
      auto target = target_of(t);
      if (!target) return;
      if (std::find(chain.begin(), chain.end(), *target) != chain.end()) {
        std::string loop;
        for (const auto& c : chain) loop += c + " -> ";
        w.loops.push_back(loop + *target);
        return;
      }
      auto next = chain;
      next.push_back(*target);
      visit(*target, std::move(next), false, collect_inner);
    };
    bool has_all = false;
    for (const auto& t : record->terms) {
      if (t.modifier) continue;
      if (t.name == "all") {
        has_all = true;
        break;  // §5.1: later mechanisms are never reached, and redirect is ignored
      }
      if (t.name == "include") {
        follow(t, collect && t.qualifier == '+');
      } else if (t.name == "a") {
        ++w.lookups;
        if (auto host = target_of(t)) {
          if (const auto* a = addresses(*host)) {
            if (a->temporary_failure()) w.temporary = true;
            else if (a->addresses.empty()) ++w.void_lookups;
            note_addresses(t, *host, *a, collect);
          }
        }
      } else if (t.name == "mx") {
        ++w.lookups;
        if (auto host = target_of(t)) {
          const dns::DnsAnswer* mx = lookup.get(*host, dns::RecordType::mx);
          if (mx == nullptr) {
            pending = true;
            continue;
          }
          if (mx->temporary_failure()) w.temporary = true;
          else if (mx->mx.empty()) ++w.void_lookups;
          for (size_t i = 0; i < mx->mx.size() && i < kMaxMxNames; ++i) {
            if (mx->mx[i].exchange == ".") continue;
            if (const auto* a = addresses(mx->mx[i].exchange)) note_addresses(t, mx->mx[i].exchange, *a, collect);
          }
        }
      } else if (t.name == "ptr") {
        ++w.lookups;
        w.conclusive = false;
        w.ptr_terms.push_back(fmt::format("\"{}\" in the record of {}", t.text, name));
      } else if (t.name == "exists") {
        ++w.lookups;
        w.conclusive = false;
        if (auto host = target_of(t)) {
          const dns::DnsAnswer* a = lookup.get(*host, dns::RecordType::a);
          if (a == nullptr) pending = true;
          else if (a->permanent_failure()) ++w.void_lookups;
        }
      } else if ((t.name == "ip4" && !w.v6) || (t.name == "ip6" && w.v6)) {
        if (collect && t.qualifier == '+' && t.network) w.pass.push_back(*t.network);
      }
    }
    if (!has_all) {
      if (const SpfTerm* redirect = record->find_modifier("redirect")) follow(*redirect, collect);
    }
  }
};

std::string merged_record(const std::vector<std::string>& records) {
  std::vector<std::string> terms;
  std::string all;
  for (const auto& r : records) {
    auto parsed = parse_spf_record(r);
    if (!parsed) continue;
    for (const auto& t : parsed->terms) {
      if (!t.modifier && t.name == "all") {
        if (all.empty()) all = t.text;
        continue;
      }
      if (t.modifier && t.name == "redirect") continue;
      if (std::find(terms.begin(), terms.end(), t.text) == terms.end()) terms.push_back(t.text);
    }
  }
  std::string out = "v=spf1";
  for (const auto& t : terms) out += " " + t;
  return out + " " + (all.empty() ? "~all" : all);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : "; ") + i;
  return out;
}

std::vector<std::string> unite(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out = a;
  for (const auto& x : b) {
    if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
  }
  return out;
}

}  // namespace

std::optional<SpfWalk> walk_spf(Lookup& lookup, const ProxyRanges& ranges, std::string_view domain, bool v6) {
  SpfWalk w;
  w.v6 = v6;
  Walker walker{lookup, ranges, w};
  const std::string name(domain);
  walker.visit(name, {name}, true, true);
  if (walker.pending) return std::nullopt;
  return w;
}

void check_spf(const DoctorOptions& o, Lookup& lookup, Report& report) {
  const std::string& domain = o.domain;
  const dns::DnsAnswer* txt = lookup.get(domain, dns::RecordType::txt);
  if (txt == nullptr) return;
  if (txt->temporary_failure()) {
    report.add(Severity::unknown, "spf.unknown", domain,
               fmt::format("the TXT lookup failed ({}): the SPF record cannot be judged", dns::to_string(txt->status)));
    return;
  }
  const auto records = spf_records(*txt);
  const std::string suggested_include = o.ours ? " include:" + o.ours->spf_include : " mx";
  if (records.empty()) {
    report.add(Severity::warn, "spf.missing", domain,
               "no SPF record: receivers cannot tell which hosts may send as this domain (RFC 7208)",
               fmt::format("{}. 3600 IN TXT \"v=spf1{} ~all\"", domain, suggested_include));
    return;
  }
  if (records.size() > 1) {
    report.add(Severity::error, "spf.multiple", domain,
               fmt::format("{} SPF records: receivers return permerror (RFC 7208 §4.5), SPF fails for all mail", records.size()),
               fmt::format("replace them by one: {}. 3600 IN TXT {}", domain, quote_txt(merged_record(records))));
    return;
  }
  const std::string& text = records.front();
  if (text.size() > kMaxRecordOctets) {
    report.add(Severity::warn, "spf.length", domain,
               fmt::format("the SPF record is {} octets; RFC 7208 §3.4 asks for at most 450 so the answer fits a UDP reply",
                           text.size()),
               "move networks into an included record (include:_spf." + domain + ")");
  }
  auto parsed = parse_spf_record(text);
  if (!parsed) {
    report.add(Severity::error, "spf.syntax", domain,
               fmt::format("syntax error at column {}: {} (receivers return permerror)", parsed.error().column,
                           parsed.error().message),
               "correct the record; RFC 7208 §12 gives the grammar");
    return;
  }
  auto v4 = walk_spf(lookup, *o.ranges, domain, false);
  auto v6 = walk_spf(lookup, *o.ranges, domain, true);
  if (!v4 || !v6) return;
  if (v4->temporary || v6->temporary) {
    report.add(Severity::unknown, "spf.unknown", domain,
               "a lookup made while following the record failed temporarily: the counts below may be low");
  }
  const int lookups = std::max(v4->lookups, v6->lookups);
  if (lookups > kMaxLookups) {
    report.add(Severity::error, "spf.lookups", domain,
               fmt::format("{} DNS-querying terms through includes and redirects (IPv4 sender: {}, IPv6 sender: {}); "
                           "RFC 7208 §4.6.4 allows 10, past it receivers return permerror",
                           lookups, v4->lookups, v6->lookups),
               "replace includes you do not need, or an include by the ip4:/ip6: networks it lists");
  }
  const int voids = std::max(v4->void_lookups, v6->void_lookups);
  if (voids > kMaxVoidLookups) {
    report.add(Severity::error, "spf.void_lookups", domain,
               fmt::format("{} lookups return no records (IPv4 sender: {}, IPv6 sender: {}); RFC 7208 §4.6.4 allows 2, "
                           "past it receivers return permerror",
                           voids, v4->void_lookups, v6->void_lookups),
               "remove terms naming hosts or domains that do not exist or have no addresses");
  }
  const SpfTerm* all = parsed->find_all();
  if (all != nullptr && all->qualifier == '+') {
    report.add(Severity::error, "spf.all", domain, "\"+all\": every host on the Internet may send as this domain",
               fmt::format("{}. 3600 IN TXT \"{}\"  ; \"~all\" or \"-all\" instead", domain,
                           merged_record({text.substr(0, all->column - 1)})));
  } else if (all != nullptr && all->qualifier == '?') {
    report.add(Severity::warn, "spf.all", domain, "\"?all\": other hosts get neutral, which protects nothing",
               "end the record with \"~all\" (softfail) or \"-all\" (fail)");
  } else if (all == nullptr && parsed->find_modifier("redirect") == nullptr) {
    report.add(Severity::warn, "spf.all", domain, "no \"all\" and no redirect: other hosts get neutral (RFC 7208 §4.7)",
               fmt::format("{}. 3600 IN TXT \"{} ~all\"", domain, text));
  }
  if (const auto ptr = unite(v4->ptr_terms, v6->ptr_terms); !ptr.empty()) {
    report.add(Severity::warn, "spf.ptr", domain,
               "the \"ptr\" mechanism (RFC 7208 §5.5: SHOULD NOT be used; slow, unreliable, and some receivers "
               "ignore it): " + joined(ptr),
               "replace it by the ip4:/ip6: networks or a: hosts it stands for");
  }
  if (const auto loops = unite(v4->loops, v6->loops); !loops.empty()) {
    report.add(Severity::error, "spf.loop", domain, "include/redirect loop: " + joined(loops),
               "break the loop: a record must not include itself");
  }
  if (const auto missing = unite(v4->missing, v6->missing); !missing.empty()) {
    report.add(Severity::error, "spf.include_missing", domain,
               "include or redirect target without an SPF record (receivers return permerror): " + joined(missing),
               "remove the term, or publish the target's SPF record");
  }
  if (const auto bad = unite(unite(v4->multiple, v6->multiple), unite(v4->syntax, v6->syntax)); !bad.empty()) {
    report.add(Severity::error, "spf.include_invalid", domain,
               "an included record is invalid (several SPF records, or a syntax error): " + joined(bad),
               "fix the included record or stop including it");
  }
  if (const auto proxied = unite(v4->proxied, v6->proxied); !proxied.empty()) {
    report.add(Severity::warn, "proxy.spf", domain,
               "SPF terms authorize reverse-proxy addresses, which never send this domain's mail: " + joined(proxied),
               "point the a/mx terms at the DNS-only mail host, or list the mail server's ip4:/ip6: networks");
  }
  if (v4->conclusive && v6->conclusive && v4->pass.empty() != v6->pass.empty()) {
    const bool v6_missing = v6->pass.empty();
    report.add(Severity::info, "spf.family", domain,
               fmt::format("no term authorizes any {} sender (the {} side authorizes {} network(s)): mail sent over {} "
                           "gets the \"all\" result",
                           v6_missing ? "IPv6" : "IPv4", v6_missing ? "IPv4" : "IPv6",
                           v6_missing ? v4->pass.size() : v6->pass.size(), v6_missing ? "IPv6" : "IPv4"),
               v6_missing ? "add the sending hosts' ip6: networks if they send over IPv6"
                          : "add the sending hosts' ip4: networks if they send over IPv4");
  }
  report.add(Severity::ok, "spf.ok", domain,
             fmt::format("\"{}\": {} lookup(s) for an IPv4 sender, {} for an IPv6 sender", text, v4->lookups, v6->lookups));
}

}  // namespace hikyaku::doctor
