// The gathered answers and the checks' view of them (see answers.hpp).
#include "doctor/answers.hpp"

#include <algorithm>

#include "dns/names.hpp"

namespace hikyaku::doctor {

const Observation* Lookup::observe(QueryKey key) {
  if (std::find(used_.begin(), used_.end(), key) == used_.end()) used_.push_back(key);
  if (const Observation* o = answers_.find(key)) return o;
  needed_.insert(std::move(key));
  return nullptr;
}

const dns::DnsAnswer* Lookup::get(std::string_view name, dns::RecordType type) {
  auto canonical = dns::normalise_name(name);
  if (!canonical) {
    QueryKey key{std::string(name), type, {}};
    auto [it, inserted] = invalid_.try_emplace(key);
    if (inserted) {
      it->second.answer = dns::DnsAnswer::failure(std::string(name), type, dns::DnsStatus::nxdomain,
                                                  "not a valid domain name");
      it->second.server = "not asked";
      it->second.rcode = 3;
    }
    return &it->second.answer;
  }
  const Observation* o = observe(QueryKey{std::move(*canonical), type, {}});
  return o ? &o->answer : nullptr;
}

const Observation* Lookup::get_direct(std::string_view server, std::string_view name, dns::RecordType type) {
  auto canonical = dns::normalise_name(name);
  if (!canonical) return nullptr;
  return observe(QueryKey{std::move(*canonical), type, std::string(server)});
}

void Report::add(Severity severity, std::string check, std::string subject, std::string problem,
                 std::string fix) {
  out_.push_back(Finding{severity, std::move(check), std::move(subject), std::move(problem), std::move(fix),
                         lookup_.used()});
}

}  // namespace hikyaku::doctor
