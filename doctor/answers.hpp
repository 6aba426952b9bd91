// The DNS answers a diagnosis has gathered, and the view the checks read them through. A check
// is a pure function of these answers: asking for one that is not there yet records it as
// needed and yields nullptr; the driver (doctor.hpp) gathers what was needed and runs the
// checks again until nothing new is asked for.
#pragma once
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "doctor/finding.hpp"

namespace hikyaku::doctor {

class Answers {
 public:
  void add(const QueryKey& key, Observation observation) { map_[key] = std::move(observation); }
  const Observation* find(const QueryKey& key) const {
    const auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  const std::map<QueryKey, Observation>& all() const { return map_; }
  size_t size() const { return map_.size(); }

 private:
  std::map<QueryKey, Observation> map_;
};

class Lookup {
 public:
  explicit Lookup(const Answers& answers) : answers_(answers) {}

  // The recursive answer for (name, type), or nullptr (then recorded as needed). An invalid
  // name answers NXDOMAIN with a detail at once.
  const dns::DnsAnswer* get(std::string_view name, dns::RecordType type);
  // The answer of the authoritative server `server` ("IP:PORT"), asked without recursion.
  const Observation* get_direct(std::string_view server, std::string_view name, dns::RecordType type);

  const std::set<QueryKey>& needed() const { return needed_; }
  // The queries read since the last call, in order of first use.
  std::vector<QueryKey> take_used() { return std::exchange(used_, {}); }
  const std::vector<QueryKey>& used() const { return used_; }

 private:
  const Observation* observe(QueryKey key);
  const Answers& answers_;
  std::set<QueryKey> needed_;
  std::vector<QueryKey> used_;
  std::map<QueryKey, Observation> invalid_;  // answers for names that are not names
};

// Findings of one check function: each carries the queries that function has read so far.
class Report {
 public:
  Report(Lookup& lookup, std::vector<Finding>& out) : lookup_(lookup), out_(out) {}
  void add(Severity severity, std::string check, std::string subject, std::string problem,
           std::string fix = {});

 private:
  Lookup& lookup_;
  std::vector<Finding>& out_;
};

}  // namespace hikyaku::doctor
