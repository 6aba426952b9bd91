// Tests for reports/tls_report: a record's line round-trips and malformed lines are refused; a
// day's records aggregate into one RFC 8460 §4.4 report per policy domain with the summary
// counts and failure details grouped as §4.4 describes; the §5.1 file name.
#include <gtest/gtest.h>

#include "reports/tls_report.hpp"

namespace hikyaku::reports {
namespace {

TlsRecord sts_ok() {
  TlsRecord r;
  r.policy_domain = "dest.example";
  r.policy_type = "sts";
  r.policy_strings = {"version: STSv1", "mode: enforce", "mx: mx.dest.example", "max_age: 86400"};
  r.mx_hosts = {"mx.dest.example"};
  return r;
}

TEST(TlsRecordLine, RoundTripsAndIsOneLine) {
  TlsRecord r = sts_ok();
  r.result_type = "certificate-expired";
  r.sending_ip = "192.0.2.1";
  r.receiving_mx = "mx.dest.example";
  r.receiving_ip = "198.51.100.7";
  const std::string line = encode_tls_record(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto back = decode_tls_record(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  // A line break in free text becomes a space: still one line, and it reads back.
  r.reason = "certificate has expired\r\nX";
  back = decode_tls_record(encode_tls_record(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->reason, "certificate has expired  X");
}

TEST(TlsRecordLine, MalformedLinesAreRefused) {
  EXPECT_FALSE(decode_tls_record(""));
  EXPECT_FALSE(decode_tls_record("{\"d\":\"a.example\",\"t\":\"sts\""));  // torn
  EXPECT_FALSE(decode_tls_record("[]"));
  EXPECT_FALSE(decode_tls_record(R"({"t":"sts"})"));                         // no domain
  EXPECT_FALSE(decode_tls_record(R"({"d":"a.example","t":"dmarc"})"));       // policy type
  EXPECT_FALSE(decode_tls_record(R"({"d":"a.example","t":"sts","r":"oops"})"));  // result type
  EXPECT_FALSE(decode_tls_record(R"({"d":"a.example","t":"sts","s":"x"})"));     // not a list
  EXPECT_FALSE(decode_tls_record(R"({"d":"a.example","t":"sts","s":[1]})"));
  EXPECT_FALSE(decode_tls_record(R"({"d":"a.example","t":"sts","x":"a\nb"})"));  // newline inside
  EXPECT_TRUE(decode_tls_record(R"({"d":"a.example","t":"no-policy-found"})"));
  // Field and list sizes at their bounds.
  const std::string at(kMaxTlsField, 'a');
  EXPECT_TRUE(decode_tls_record(R"({"d":"a.example","t":"sts","x":")" + at + "\"}"));
  EXPECT_FALSE(decode_tls_record(R"({"d":"a.example","t":"sts","x":")" + at + "a\"}"));
  std::string list = "[";
  for (std::size_t i = 0; i < kMaxTlsListItems; ++i) list += std::string(i ? "," : "") + "\"m\"";
  EXPECT_TRUE(decode_tls_record(R"({"d":"a.example","t":"sts","m":)" + list + "]}"));
  EXPECT_FALSE(decode_tls_record(R"({"d":"a.example","t":"sts","m":)" + list + ",\"m\"]}"));
}

TEST(TlsReports, OneReportPerPolicyDomainWithCountsAndDetails) {
  std::vector<std::string> lines;
  for (int i = 0; i < 3; ++i) lines.push_back(encode_tls_record(sts_ok()));
  TlsRecord fail = sts_ok();
  fail.result_type = "certificate-host-mismatch";
  fail.sending_ip = "127.0.0.1";
  fail.receiving_mx = "mx.dest.example";
  fail.receiving_ip = "127.0.0.2";
  lines.push_back(encode_tls_record(fail));
  lines.push_back(encode_tls_record(fail));
  TlsRecord dane;
  dane.policy_domain = "dane.example";
  dane.policy_type = "tlsa";
  dane.policy_strings = {"3 1 1 abcd"};
  dane.mx_hosts = {"mx.dane.example"};
  lines.push_back(encode_tls_record(dane));
  TlsRecord none;
  none.policy_domain = "dest.example";
  none.policy_type = "no-policy-found";
  none.result_type = "starttls-not-supported";
  none.receiving_mx = "mx2.dest.example";
  lines.push_back(encode_tls_record(none));
  lines.push_back("garbage");
  const TlsReportMeta meta{"Example Org", "reports@fwd.example.net", "fwd.example.net", "2026-12-07"};
  std::size_t skipped = 0;
  const auto reports = build_tls_reports(lines, meta, &skipped);
  EXPECT_EQ(skipped, 1u);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].policy_domain, "dane.example");
  EXPECT_EQ(reports[1].policy_domain, "dest.example");
  EXPECT_EQ(reports[1].successful, 3u);
  EXPECT_EQ(reports[1].failed, 3u);
  const auto& j = reports[1].json;
  EXPECT_EQ(j["organization-name"], "Example Org");
  EXPECT_EQ(j["contact-info"], "reports@fwd.example.net");
  EXPECT_EQ(j["date-range"]["start-datetime"], "2026-12-07T00:00:00Z");
  EXPECT_EQ(j["date-range"]["end-datetime"], "2026-12-08T00:00:00Z");
  EXPECT_EQ(j["report-id"], "2026-12-07T00:00:00Z_dest.example@fwd.example.net");
  ASSERT_EQ(j["policies"].size(), 2u);
  // Policies in key order: "no-policy-found" before "sts".
  const auto& np = j["policies"][0];
  EXPECT_EQ(np["policy"]["policy-type"], "no-policy-found");
  EXPECT_FALSE(np["policy"].contains("policy-string"));
  EXPECT_EQ(np["summary"]["total-successful-session-count"], 0);
  EXPECT_EQ(np["summary"]["total-failure-session-count"], 1);
  EXPECT_EQ(np["failure-details"][0]["result-type"], "starttls-not-supported");
  const auto& sts = j["policies"][1];
  EXPECT_EQ(sts["policy"]["policy-type"], "sts");
  EXPECT_EQ(sts["policy"]["policy-domain"], "dest.example");
  EXPECT_EQ(sts["policy"]["policy-string"].size(), 4u);
  EXPECT_EQ(sts["policy"]["mx-host"][0], "mx.dest.example");
  EXPECT_EQ(sts["summary"]["total-successful-session-count"], 3);
  EXPECT_EQ(sts["summary"]["total-failure-session-count"], 2);
  ASSERT_EQ(sts["failure-details"].size(), 1u);
  EXPECT_EQ(sts["failure-details"][0]["failed-session-count"], 2);
  EXPECT_EQ(sts["failure-details"][0]["sending-mta-ip"], "127.0.0.1");
  EXPECT_EQ(sts["failure-details"][0]["receiving-ip"], "127.0.0.2");
  EXPECT_EQ(tls_report_filename(meta, "dest.example", "1"),
            "fwd.example.net!dest.example!1796601600!1796688000!1.json.gz");
}

TEST(TlsReports, NoRecordsNoReport) {
  EXPECT_TRUE(build_tls_reports({}, {"o", "c", "s", "2026-12-07"}).empty());
}

}  // namespace
}  // namespace hikyaku::reports
