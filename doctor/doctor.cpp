// The fixed-point driver of the checks and the exit status of DESIGN §4.
#include "doctor/doctor.hpp"

#include <algorithm>

#include "doctor/checks.hpp"

namespace hikyaku::doctor {

std::vector<Finding> run_checks(const DoctorOptions& options, Lookup& lookup) {
  std::vector<Finding> findings;
  const auto run = [&](auto&& check) {
    lookup.take_used();
    Report report(lookup, findings);
    check(options, lookup, report);
  };
  run(check_mx);
  run(check_proxied_hosts);
  run(check_spf);
  run(check_dmarc);
  run(check_dkim);
  run(check_mta_sts);
  run(check_ptr);
  run(check_propagation);
  if (options.ours) run(check_ours);
  return findings;
}

Diagnosis diagnose(const DoctorOptions& options, const GatherFn& gather, int max_rounds) {
  Diagnosis d;
  int unanswered_passes = 0;
  for (;;) {
    Lookup lookup(d.answers);
    auto findings = run_checks(options, lookup);
    if (lookup.needed().empty()) {
      d.findings = std::move(findings);
      break;
    }
    if (d.rounds >= max_rounds) {
      // Every question still open answers SERVFAIL; a failure ends each chain of lookups, so
      // this settles within a few passes (bounded anyway).
      if (++unanswered_passes > 8) {
        d.findings = std::move(findings);
        break;
      }
      for (const auto& key : lookup.needed()) {
        Observation o;
        o.answer = dns::DnsAnswer::failure(key.name, key.type, dns::DnsStatus::servfail,
                                           "not asked: too many rounds of lookups");
        o.server = "not asked";
        d.answers.add(key, std::move(o));
      }
      continue;
    }
    ++d.rounds;
    gather(lookup.needed(), d.answers);
  }
  for (const auto& [name, type] : {std::pair{options.domain, dns::RecordType::mx},
                                   std::pair{options.domain, dns::RecordType::txt},
                                   std::pair{"_dmarc." + options.domain, dns::RecordType::txt}}) {
    const Observation* o = d.answers.find(QueryKey{name, type, {}});
    if (o == nullptr || o->answer.temporary_failure()) d.required_unanswered = true;
  }
  return d;
}

int exit_code(const Diagnosis& d) {
  if (d.required_unanswered) return 3;
  const bool error = std::any_of(d.findings.begin(), d.findings.end(),
                                 [](const Finding& f) { return f.severity == Severity::error; });
  return error ? 1 : 0;
}

}  // namespace hikyaku::doctor
