// A stored day into its reports: one per DMARC Policy Domain, with the day's date_range, the
// same Report-ID in metadata, filename and Subject, counts summed, bad lines skipped and counted.
#include <gtest/gtest.h>

#include "dmarc_reports/day_reports.hpp"

namespace hikyaku::dmarc_reports {
namespace {

std::string line(const std::string& policy_domain, const std::string& ip) {
  EvaluationRecord r;
  r.header_from = policy_domain;
  r.policy_domain = policy_domain;
  r.source_ip = ip;
  r.spf = {policy_domain, "mfrom", "pass"};
  r.spf_aligned = true;
  r.policy.p = "reject";
  r.rua = {"mailto:agg@" + policy_domain};
  return encode_record(r);
}

TEST(DayReports, OneReportPerPolicyDomainWithItsNames) {
  const Reporter reporter{"fwd.example.net", "Example Forwarding", "reports@fwd.example.net", "Hikyaku test"};
  const std::vector<std::string> lines = {line("a.example", "192.0.2.1"), "garbage", line("b.example", "192.0.2.2"),
                                          line("a.example", "192.0.2.1"), "dmarc1\tfrom=torn"};
  const DayReports day = build_day_reports("2026-12-07", lines, reporter);
  EXPECT_EQ(day.records, 3u);
  EXPECT_EQ(day.bad_lines, 2u);
  EXPECT_EQ(day.first_error, "dmarc record line: not a dmarc1 line");
  ASSERT_EQ(day.reports.size(), 2u);
  const DayReport& a = day.reports[0];
  EXPECT_EQ(a.report.policy_domain, "a.example");
  EXPECT_EQ(a.report.messages, 2u);
  ASSERT_EQ(a.report.rows.size(), 1u);
  EXPECT_EQ(a.report.rows[0].count, 2u);
  const std::string id = a.report.metadata.report_id;
  EXPECT_EQ(a.report.metadata.begin, 1796601600);
  EXPECT_EQ(a.report.metadata.end, 1796601600 + 86399);
  EXPECT_EQ(a.filename, "fwd.example.net!a.example!1796601600!1796687999!" + id + ".xml.gz");
  EXPECT_EQ(a.subject, "Report Domain: a.example Submitter: fwd.example.net Report-ID: " + id);
  EXPECT_NE(a.xml.find("<report_id>" + id + "</report_id>"), std::string::npos);
  EXPECT_NE(a.xml.find("<email>reports@fwd.example.net</email>"), std::string::npos);
  EXPECT_NE(a.xml.find("<org_name>Example Forwarding</org_name>"), std::string::npos);
  EXPECT_EQ(day.reports[1].report.policy_domain, "b.example");
  EXPECT_NE(day.reports[1].report.metadata.report_id, id);
  EXPECT_TRUE(build_day_reports("2026-13-01", lines, reporter).reports.empty());
}

}  // namespace
}  // namespace hikyaku::dmarc_reports
