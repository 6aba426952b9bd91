// Authoritative data in memory, answering like a resolver would from it: CNAME chains followed
// with loop detection (RFC 1034 §3.6.2, §4.3.2), NXDOMAIN vs NODATA including empty
// non-terminals (RFC 2308 §2.2, RFC 8020), negative TTL from the SOA (RFC 2308 §5).
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/expected.hpp"
#include "dns/types.hpp"
#include "dns/zone_file.hpp"

namespace hikyaku::dns {

// The loaded records are the whole DNS: a name in none of them does not exist. No wildcards,
// no delegations (NS records are data), no DNAME. Immutable after build(), so it may be read
// from any number of threads.
class Zone {
 public:
  Zone() = default;

  // Indexes the records (from one or more files). Refused, with each offending record's
  // FILE:LINE: a CNAME beside other data or a second CNAME at one name (RFC 2181 §10.1).
  // Identical records are kept once (RFC 2181 §5).
  static core::Expected<Zone, std::vector<ZoneError>> build(std::vector<ZoneRecord> records);

  // The answer for (`name`, `type`). ok answers take the smallest TTL of the RRset and the
  // CNAMEs followed; negative ones min(SOA TTL, MINIMUM) of the closest enclosing SOA, or 0.
  DnsAnswer lookup(std::string_view name, RecordType type) const;

  size_t record_count() const { return records_.size(); }

 private:
  const ZoneRecord* find_soa(const std::string& name) const;

  std::vector<ZoneRecord> records_;
  std::unordered_map<std::string, std::vector<size_t>> nodes_;  // owner -> indexes in records_
  std::unordered_set<std::string> empty_non_terminals_;
  std::vector<size_t> soas_;  // indexes of SOA records
};

}  // namespace hikyaku::dns
