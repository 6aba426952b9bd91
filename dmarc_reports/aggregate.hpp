// The aggregate of one DMARC Policy Domain's evaluations over one reporting period (RFC 9990
// "Aggregate Reports": one report per DMARC Policy Domain; one record per (source IP, result, identifiers)
// tuple with its message count; the policy published as last seen, "Changes in Policy
// During Reporting Period"). Pure: records in, report value out.
#pragma once
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dmarc_reports/evaluation_record.hpp"

namespace hikyaku::dmarc_reports {

// RFC 9990 report_metadata.
struct ReportMetadata {
  std::string org_name;   // the Reporting Organization
  std::string email;      // its contact address
  std::string report_id;  // "Definition of Report-ID" (also the filename's unique-id)
  std::int64_t begin = 0; // date_range, seconds since the epoch
  std::int64_t end = 0;
  std::string generator;  // name and version of the software
};

// What makes two messages one record (RFC 9990 "Contents of the record element": "One record per (IP, result,
// authentication identifiers) tuples").
struct RowKey {
  std::string source_ip;
  Disposition disposition = Disposition::none;
  bool dkim_aligned = false;
  bool spf_aligned = false;
  std::vector<OverrideReason> reasons;
  std::string header_from;
  std::string envelope_from;
  std::string envelope_to;
  std::vector<DkimAuth> dkim;
  SpfAuth spf;
  auto operator<=>(const RowKey&) const = default;
  bool operator==(const RowKey&) const = default;
};

struct ReportRow {
  RowKey key;
  std::uint64_t count = 0;
};

struct AggregateReport {
  ReportMetadata metadata;
  std::string policy_domain;
  PublishedPolicy policy;        // of the last record (the final configuration observed)
  std::vector<std::string> rua;  // of the last record
  std::vector<ReportRow> rows;   // ordered by key
  std::uint64_t messages = 0;    // the sum of the counts
};

// The day's records split by DMARC Policy Domain ("A separate report MUST be generated for
// each DMARC Policy Domain"), each list in the order read.
std::map<std::string, std::vector<EvaluationRecord>> by_policy_domain(std::vector<EvaluationRecord> records);

// The report of `records` (all of `policy_domain`; others are skipped).
AggregateReport aggregate(const std::string& policy_domain, const std::vector<EvaluationRecord>& records,
                          ReportMetadata metadata);

}  // namespace hikyaku::dmarc_reports
