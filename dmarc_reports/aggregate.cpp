// Grouping a DMARC Policy Domain's evaluations into RFC 9990 records with counts; the
// policy_published of the final configuration observed ("Changes in Policy During Reporting Period").
#include "dmarc_reports/aggregate.hpp"

namespace hikyaku::dmarc_reports {

std::map<std::string, std::vector<EvaluationRecord>> by_policy_domain(std::vector<EvaluationRecord> records) {
  std::map<std::string, std::vector<EvaluationRecord>> out;
  for (auto& r : records) {
    std::string domain = r.policy_domain;
    out[domain].push_back(std::move(r));
  }
  return out;
}

AggregateReport aggregate(const std::string& policy_domain, const std::vector<EvaluationRecord>& records,
                          ReportMetadata metadata) {
  AggregateReport report;
  report.metadata = std::move(metadata);
  report.policy_domain = policy_domain;
  std::map<RowKey, std::uint64_t> counts;
  for (const auto& r : records) {
    if (r.policy_domain != policy_domain) continue;
    report.policy = r.policy;
    report.rua = r.rua;
    RowKey key{r.source_ip,   r.disposition,   r.dkim_aligned, r.spf_aligned, r.reasons,
               r.header_from, r.envelope_from, r.envelope_to,  r.dkim,        r.spf};
    ++counts[std::move(key)];
    ++report.messages;
  }
  report.rows.reserve(counts.size());
  for (auto& [key, count] : counts) report.rows.push_back({key, count});
  return report;
}

}  // namespace hikyaku::dmarc_reports
