// Doctor unit tests: a diagnosis run against zone text, no sockets. Recursive questions are
// answered from the zone (dns::Zone, as a resolver would); authoritative ones from per-server
// zones with a given SOA serial; chosen questions time out.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "dns/zone_file_resolver.hpp"
#include "doctor/doctor.hpp"

namespace hikyaku::doctor::test {

inline std::string zone(const std::string& origin, const std::string& body) {
  return "$ORIGIN " + origin + ".\n$TTL 300\n@ IN SOA ns." + origin + ". hostmaster." + origin +
         ". 1 3600 600 86400 60\n@ IN NS ns." + origin + ".\nns IN A 127.0.0.1\n" + body;
}

struct AuthServer {
  std::string zone_text;
  uint32_t serial = 1;
  bool silent = false;
  bool lame = false;  // answers without the AA bit
};

struct Scenario {
  std::string zones;                           // all recursive data, several $ORIGINs allowed
  std::map<std::string, AuthServer> servers;   // direct questions by server
  std::set<std::pair<std::string, dns::RecordType>> timeouts;  // recursive questions that time out
};

inline dns::Zone load_zone(const std::string& text) {
  auto z = dns::ZoneFileResolver::from_text(text);
  if (!z) {
    std::string errors;
    for (const auto& e : z.error()) errors += e.text() + "\n";
    ADD_FAILURE() << errors;
    return {};
  }
  return z->zone();
}

inline Diagnosis run(const Scenario& s, DoctorOptions options, int max_rounds = 24) {
  const dns::Zone recursive = load_zone(s.zones);
  std::map<std::string, dns::Zone> direct;
  for (const auto& [server, a] : s.servers) direct.emplace(server, load_zone(a.zone_text));
  const GatherFn gather = [&](const std::set<QueryKey>& keys, Answers& answers) {
    for (const auto& key : keys) {
      Observation o;
      if (key.server.empty()) {
        o.server = "test";
        if (s.timeouts.count({key.name, key.type})) {
          o.answer = dns::DnsAnswer::failure(key.name, key.type, dns::DnsStatus::timeout, "test timeout");
        } else {
          o.answer = recursive.lookup(key.name, key.type);
        }
        o.rcode = rcode_of(o.answer.status);
      } else {
        o.server = key.server;
        const auto it = s.servers.find(key.server);
        if (it == s.servers.end() || it->second.silent) {
          o.answer = dns::DnsAnswer::failure(key.name, key.type, dns::DnsStatus::timeout, "test: no reply");
        } else {
          o.answer = direct.at(key.server).lookup(key.name, key.type);
          o.rcode = rcode_of(o.answer.status);
          o.authoritative = !it->second.lame;
          if (key.type == dns::RecordType::soa && o.answer.ok()) o.soa_serial = it->second.serial;
        }
      }
      answers.add(key, std::move(o));
    }
  };
  return diagnose(options, gather, max_rounds);
}

inline DoctorOptions options_for(const std::string& domain) {
  DoctorOptions o;
  o.domain = domain;
  o.propagation = false;
  return o;
}

inline std::vector<const Finding*> with_id(const Diagnosis& d, const std::string& id) {
  std::vector<const Finding*> out;
  for (const auto& f : d.findings) {
    if (f.check == id) out.push_back(&f);
  }
  return out;
}

// The one finding with `id`, failing the test when there is none.
inline const Finding& only(const Diagnosis& d, const std::string& id) {
  const auto found = with_id(d, id);
  if (found.empty()) {
    std::string all;
    for (const auto& f : d.findings) all += std::string(to_string(f.severity)) + " " + f.check + " " + f.subject + ": " + f.problem + "\n";
    ADD_FAILURE() << "no finding " << id << "; findings:\n" << all;
    static const Finding none;
    return none;
  }
  return *found.front();
}

inline bool has_error(const Diagnosis& d) {
  return std::any_of(d.findings.begin(), d.findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
}

inline std::string dump(const Diagnosis& d) {
  std::string all;
  for (const auto& f : d.findings) all += std::string(to_string(f.severity)) + " " + f.check + " " + f.subject + ": " + f.problem + " | " + f.fix + "\n";
  return all;
}

// ---- Shared scenarios

// The reverse zones of the clean domain's hosts (documentation ranges).
inline const std::string kReverse =
    zone("2.0.192.in-addr.arpa", "10 IN PTR mx1.clean.test.\n11 IN PTR mx2.clean.test.\n") +
    zone("8.b.d.0.1.0.0.2.ip6.arpa",
         "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mx1.clean.test.\n"
         "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR mx2.clean.test.\n");

inline const std::string kCleanBody =
    "@ IN MX 10 mx1\n@ IN MX 20 mx2\n"
    "mx1 IN A 192.0.2.10\nmx1 IN AAAA 2001:db8::10\nmx2 IN A 192.0.2.11\nmx2 IN AAAA 2001:db8::11\n"
    "@ IN TXT \"v=spf1 mx ip4:192.0.2.0/24 ip6:2001:db8::/32 -all\"\n"
    "_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@clean.test\"\n";

inline Scenario clean() { return Scenario{zone("clean.test", kCleanBody) + kReverse, {}, {}}; }

// A domain "d.test" with the given body plus a working SPF/DMARC unless replaced.
inline Scenario domain(const std::string& body, const std::string& extra_zones = {}) {
  return Scenario{zone("d.test", body) + kReverse + extra_zones, {}, {}};
}
inline const std::string kOkMail = "@ IN MX 10 mx1.clean.test.\n@ IN MX 20 mx2.clean.test.\n";
inline const std::string kOkAuth = "@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n_dmarc IN TXT \"v=DMARC1; p=reject\"\n";
inline Scenario d(const std::string& body) { return domain(body, zone("clean.test", kCleanBody)); }

}  // namespace hikyaku::doctor::test
