// Propagation: every authoritative server of the zone (its NS hosts, RFC 1034 §4.3.1; or the
// servers named with --authoritative) asked directly, without recursion, for SOA, MX, TXT and
// _dmarc TXT. Servers that disagree (RFC 1996 zone changes not yet everywhere) are reported with
// their serials; answers cached by resolvers live on for at most the largest TTL seen
// (RFC 2181 §8). An unreachable server is a finding.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "dns/names.hpp"
#include "doctor/checks.hpp"

namespace hikyaku::doctor {

namespace {

std::string answer_set(const dns::DnsAnswer& a) {
  std::vector<std::string> items;
  for (const auto& m : a.mx) items.push_back(std::to_string(m.preference) + " " + m.exchange);
  for (const auto& t : a.texts) items.push_back("\"" + t + "\"");
  for (const auto& ip : a.addresses) items.push_back(ip.to_string());
  for (const auto& n : a.names) items.push_back(n);
  std::sort(items.begin(), items.end());
  if (items.empty()) return std::string(dns::to_string(a.status));
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string endpoint_text(const boost::asio::ip::address& ip, unsigned port) {
  return ip.is_v6() ? "[" + ip.to_string() + "]:" + std::to_string(port) : ip.to_string() + ":" + std::to_string(port);
}

}  // namespace

std::optional<std::vector<std::string>> authoritative_servers(const DoctorOptions& o, Lookup& lookup, std::string& zone,
                                                             Report* report) {
  std::vector<std::string> servers = o.authoritative;
  zone = o.domain;
  if (servers.empty()) {
    // The zone: the closest enclosing name with NS records (RFC 1034 §4.2: a zone's apex holds
    // its NS RRset), found by asking one label less each time; never a top-level domain, whose
    // servers are not the domain's.
    const dns::DnsAnswer* ns = nullptr;
    for (;;) {
      ns = lookup.get(zone, dns::RecordType::ns);
      if (ns == nullptr) return std::nullopt;
      const size_t dot = zone.find('.');
      if (ns->ok() || ns->temporary_failure() || dot == std::string::npos ||
          zone.find('.', dot + 1) == std::string::npos) {
        break;
      }
      zone = zone.substr(dot + 1);
    }
    if (!ns->ok()) {
      if (report != nullptr) report->add(Severity::unknown, "propagation.unknown", zone,
                 fmt::format("the zone's NS records could not be read ({})", dns::to_string(ns->status)));
      return std::nullopt;
    }
    bool pending = false;
    for (const auto& host : ns->names) {
      auto h = host_addresses(lookup, host);
      if (!h) {
        pending = true;
        continue;
      }
      for (const auto& ip : h->addresses) servers.push_back(endpoint_text(ip, o.authoritative_port));
    }
    if (pending) return std::nullopt;
    if (servers.empty() && report != nullptr) {
      report->add(Severity::error, "propagation.unreachable", zone, "no NS host of the zone has an address",
                 "give the name servers A/AAAA records (glue at the parent when they are inside the zone)");
      return std::nullopt;
    }
  }
  return servers;
}

void check_propagation(const DoctorOptions& o, Lookup& lookup, Report& report) {
  if (!o.propagation) return;
  std::string zone = o.domain;
  auto found = authoritative_servers(o, lookup, zone, &report);
  if (!found || found->empty()) return;
  const std::vector<std::string> servers = std::move(*found);
  const std::vector<std::pair<std::string, dns::RecordType>> questions = {
      {o.domain, dns::RecordType::soa}, {o.domain, dns::RecordType::mx},
      {o.domain, dns::RecordType::txt}, {"_dmarc." + o.domain, dns::RecordType::txt}};
  std::map<std::string, std::vector<const Observation*>> by_server;
  bool pending = false;
  for (const auto& s : servers) {
    for (const auto& [name, type] : questions) {
      const Observation* obs = lookup.get_direct(s, name, type);
      if (obs == nullptr) pending = true;
      by_server[s].push_back(obs);
    }
  }
  if (pending) return;
  std::vector<std::string> answering;
  for (const auto& s : servers) {
    const auto& obs = by_server[s];
    if (obs[0]->rcode < 0 || obs[0]->answer.temporary_failure()) {
      report.add(Severity::warn, "propagation.unreachable", s,
                 fmt::format("authoritative server {} did not answer ({}{})", s, rcode_name(obs[0]->rcode),
                             obs[0]->answer.detail.empty() ? "" : ": " + obs[0]->answer.detail),
                 "fix or remove the server: resolvers that pick it wait, then try another");
      continue;
    }
    if (!obs[0]->authoritative) {
      report.add(Severity::warn, "propagation.lame", s,
                 fmt::format("{} answers for {} without authority (a lame delegation)", s, zone),
                 "load the zone on that server, or remove it from the NS set");
      continue;
    }
    answering.push_back(s);
  }
  if (answering.empty()) return;
  uint32_t max_ttl = 0;
  bool disagree = false;
  std::map<std::string, std::vector<std::string>> serials;  // serial -> servers
  for (const auto& s : answering) {
    const auto& obs = by_server[s];
    serials[obs[0]->soa_serial ? std::to_string(*obs[0]->soa_serial) : "none"].push_back(s);
    for (const auto* ob : obs) max_ttl = std::max(max_ttl, ob->answer.ttl);
  }
  for (size_t q = 1; q < questions.size(); ++q) {
    std::map<std::string, std::vector<std::string>> variants;
    for (const auto& s : answering) variants[answer_set(by_server[s][q]->answer)].push_back(s);
    if (variants.size() < 2) continue;
    disagree = true;
    std::string detail;
    for (const auto& [answer, who] : variants) {
      std::string names;
      for (const auto& w : who) names += (names.empty() ? "" : " ") + w;
      detail += fmt::format("{}{}: {}", detail.empty() ? "" : "; ", names, answer);
    }
    report.add(Severity::warn, "propagation.disagree", questions[q].first + " " + std::string(dns::to_string(questions[q].second)),
               "the authoritative servers give different answers: " + detail,
               fmt::format("wait until every server has the latest zone (check its transfers); resolvers may keep "
                           "old answers up to {} s after that",
                           max_ttl));
  }
  if (serials.size() > 1) {
    std::string detail;
    for (const auto& [serial, who] : serials) {
      std::string names;
      for (const auto& w : who) names += (names.empty() ? "" : " ") + w;
      detail += fmt::format("{}serial {} at {}", detail.empty() ? "" : "; ", serial, names);
    }
    report.add(Severity::warn, "propagation.serial", zone, "the authoritative servers serve different versions: " + detail,
               "the secondaries have not transferred the new zone yet (RFC 1996 NOTIFY, SOA refresh)");
    disagree = true;
  }
  if (!disagree) {
    report.add(Severity::ok, "propagation.ok", zone,
               fmt::format("{} authoritative server(s) agree (serial {}); a change is seen everywhere within {} s",
                           answering.size(), serials.begin()->first, max_ttl));
  }
}

}  // namespace hikyaku::doctor
