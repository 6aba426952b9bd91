// `hikyaku doctor` (DESIGN §4): every check over one domain's mail DNS, run to a fixed point.
// The checks are pure functions of the gathered answers (answers.hpp); `diagnose` runs them,
// has the answers they asked for gathered (concurrently, by gather.hpp in the program, from a
// zone in the unit tests), and runs them again until they ask for nothing new.
#pragma once
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "doctor/answers.hpp"
#include "doctor/finding.hpp"
#include "doctor/proxy_ranges.hpp"

namespace hikyaku::doctor {

// A key this Hikyaku signs with (DKIM or ARC), as published: "<selector>._domainkey.<domain>".
struct OurKey {
  std::string domain;
  std::string selector;
  std::string record;  // "v=DKIM1; k=rsa; p=..."
  bool arc = false;
};

struct OurMx {
  unsigned preference = 10;
  std::string host;  // canonical
};

// What `-c FILE` says about our side (built from the configuration by the program).
struct OurSide {
  std::vector<OurMx> inbound_mx;       // [doctor] inbound_mx
  std::string spf_include;             // [doctor] spf_include: the name served domains include
  std::vector<OurKey> keys;            // DKIM keys and the ARC key
  std::vector<std::string> egress;     // addresses of [relay] source_ipv4/source_ipv6
  std::vector<std::string> egress_prefixes;  // [doctor] egress_prefixes (SPF of the SRS domain)
  std::string helo_name;               // [relay] helo_name
  std::string srs_domain;              // [srs] domain ("" when SRS is off)
  // [doctor] cnames: (label under the served domain, target) that must stay CNAMEs.
  std::vector<std::pair<std::string, std::string>> cnames;
};

struct DoctorOptions {
  std::string domain;                  // canonical
  std::vector<std::string> selectors;  // --selector
  std::optional<OurSide> ours;         // -c FILE
  const ProxyRanges* ranges = &ProxyRanges::builtin();
  // Authoritative servers asked directly for the propagation check ("IP:PORT"). Empty: the
  // addresses of the zone's NS hosts, on `authoritative_port`.
  std::vector<std::string> authoritative;
  unsigned authoritative_port = 53;
  bool propagation = true;
};

// One pass of every check. Findings are only meaningful once lookup.needed() is empty.
std::vector<Finding> run_checks(const DoctorOptions& options, Lookup& lookup);

// Answers each key (concurrently) into `answers`.
using GatherFn = std::function<void(const std::set<QueryKey>& keys, Answers& answers)>;

struct Diagnosis {
  std::vector<Finding> findings;
  Answers answers;
  int rounds = 0;  // gathering rounds
  // MX, the apex TXT (SPF) or _dmarc TXT had no answer (timeout or SERVFAIL).
  bool required_unanswered = false;
};

// Runs to the fixed point, at most `max_rounds` gathering rounds (questions still open then
// answer SERVFAIL "not asked", so their checks say unknown).
Diagnosis diagnose(const DoctorOptions& options, const GatherFn& gather, int max_rounds = 24);

// 0 no error; 1 an error finding; 3 the required lookups could not be answered.
int exit_code(const Diagnosis& diagnosis);

}  // namespace hikyaku::doctor
