// The aggregate (RFC 9990: one record per (IP, result, identifiers) with its count, one report
// per DMARC Policy Domain, the final policy observed) and its XML: exact fragments in the order
// the Appendix A schema's sequences require, and escaping of values from messages and DNS.
#include <gtest/gtest.h>

#include "dmarc_reports/aggregate.hpp"
#include "dmarc_reports/report_xml.hpp"

namespace hikyaku::dmarc_reports {
namespace {

EvaluationRecord rec(const std::string& ip, Disposition d, bool dkim_aligned) {
  EvaluationRecord r;
  r.header_from = "example.com";
  r.policy_domain = "example.com";
  r.source_ip = ip;
  r.envelope_from = "example.com";
  r.envelope_to = "served.example";
  r.dkim = {{"example.com", "s1", dkim_aligned ? "pass" : "fail"}};
  r.spf = {"example.com", "mfrom", "fail"};
  r.dkim_aligned = dkim_aligned;
  r.disposition = d;
  r.policy = {"quarantine", "", "reject", "r", "s", false, "u", "0"};
  r.rua = {"mailto:agg@example.com"};
  return r;
}

ReportMetadata meta() {
  return {"fwd.example.net", "reports@fwd.example.net", "20261207abc", 1796601600, 1796687999, "Hikyaku 0.1.0"};
}

TEST(Aggregate, GroupsByRowKeyWithCountsAndKeepsTheLastPolicy) {
  std::vector<EvaluationRecord> day = {rec("192.0.2.1", Disposition::pass, true),
                                       rec("192.0.2.9", Disposition::quarantine, false),
                                       rec("192.0.2.1", Disposition::pass, true),
                                       rec("192.0.2.1", Disposition::quarantine, false)};
  EvaluationRecord other = rec("192.0.2.1", Disposition::none, true);
  other.policy_domain = "other.example";
  day.push_back(other);
  day[3].policy.p = "reject";  // the record changed during the day: the last one counts
  day[3].rua = {"mailto:new@example.com"};
  const auto domains = by_policy_domain(day);
  ASSERT_EQ(domains.size(), 2u);
  ASSERT_EQ(domains.at("example.com").size(), 4u);
  const AggregateReport report = aggregate("example.com", domains.at("example.com"), meta());
  EXPECT_EQ(report.messages, 4u);
  EXPECT_EQ(report.policy.p, "reject");
  EXPECT_EQ(report.rua, std::vector<std::string>{"mailto:new@example.com"});
  ASSERT_EQ(report.rows.size(), 3u);
  EXPECT_EQ(report.rows[0].key.source_ip, "192.0.2.1");
  EXPECT_EQ(report.rows[0].key.disposition, Disposition::pass);
  EXPECT_EQ(report.rows[0].count, 2u);
  EXPECT_EQ(report.rows[1].key.source_ip, "192.0.2.1");
  EXPECT_EQ(report.rows[1].key.disposition, Disposition::quarantine);
  EXPECT_EQ(report.rows[1].count, 1u);
  EXPECT_EQ(report.rows[2].key.source_ip, "192.0.2.9");
  EXPECT_EQ(report.rows[2].count, 1u);
  // Records of another policy domain handed in are not counted.
  EXPECT_EQ(aggregate("example.com", day, meta()).messages, 4u);
}

TEST(ReportXml, HeaderMetadataAndPolicyPublished) {
  const std::string xml = report_xml(aggregate("example.com", {rec("192.0.2.1", Disposition::pass, true)}, meta()));
  EXPECT_EQ(xml.substr(0, xml.find("  <record>")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"
            "  <version>1.0</version>\n"
            "  <report_metadata>\n"
            "    <org_name>fwd.example.net</org_name>\n"
            "    <email>reports@fwd.example.net</email>\n"
            "    <report_id>20261207abc</report_id>\n"
            "    <date_range>\n"
            "      <begin>1796601600</begin>\n"
            "      <end>1796687999</end>\n"
            "    </date_range>\n"
            "    <generator>Hikyaku 0.1.0</generator>\n"
            "  </report_metadata>\n"
            "  <policy_published>\n"
            "    <domain>example.com</domain>\n"
            "    <discovery_method>treewalk</discovery_method>\n"
            "    <p>quarantine</p>\n"
            "    <np>reject</np>\n"
            "    <fo>0</fo>\n"
            "    <adkim>r</adkim>\n"
            "    <aspf>s</aspf>\n"
            "    <testing>n</testing>\n"
            "  </policy_published>\n");
  EXPECT_TRUE(xml.ends_with("  </record>\n</feedback>\n"));
}

TEST(ReportXml, RecordWithRowIdentifiersReasonsAndAuthResults) {
  EvaluationRecord r = rec("2001:db8::25", Disposition::none, false);
  r.envelope_from = "";  // null reverse-path: present but empty
  r.reasons = {{OverrideType::trusted_forwarder, "ARC sealer lists.example"}, {OverrideType::local_policy, ""}};
  r.dkim.push_back({"third.example", "k", "permerror"});
  const AggregateReport report = aggregate("example.com", {r, r}, meta());
  const std::string xml = report_xml(report);
  const size_t at = xml.find("  <record>");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(xml.substr(at),
            "  <record>\n"
            "    <row>\n"
            "      <source_ip>2001:db8::25</source_ip>\n"
            "      <count>2</count>\n"
            "      <policy_evaluated>\n"
            "        <disposition>none</disposition>\n"
            "        <dkim>fail</dkim>\n"
            "        <spf>fail</spf>\n"
            "        <reason>\n"
            "          <type>trusted_forwarder</type>\n"
            "          <comment>ARC sealer lists.example</comment>\n"
            "        </reason>\n"
            "        <reason>\n"
            "          <type>local_policy</type>\n"
            "        </reason>\n"
            "      </policy_evaluated>\n"
            "    </row>\n"
            "    <identifiers>\n"
            "      <header_from>example.com</header_from>\n"
            "      <envelope_from></envelope_from>\n"
            "      <envelope_to>served.example</envelope_to>\n"
            "    </identifiers>\n"
            "    <auth_results>\n"
            "      <dkim>\n"
            "        <domain>example.com</domain>\n"
            "        <selector>s1</selector>\n"
            "        <result>fail</result>\n"
            "      </dkim>\n"
            "      <dkim>\n"
            "        <domain>third.example</domain>\n"
            "        <selector>k</selector>\n"
            "        <result>permerror</result>\n"
            "      </dkim>\n"
            "      <spf>\n"
            "        <domain>example.com</domain>\n"
            "        <scope>mfrom</scope>\n"
            "        <result>fail</result>\n"
            "      </spf>\n"
            "    </auth_results>\n"
            "  </record>\n"
            "</feedback>\n");
}

TEST(ReportXml, SpfOfTheHeloIdentityHasNoScope) {
  EvaluationRecord r = rec("192.0.2.1", Disposition::none, false);
  r.spf = {"helo.example", "helo", "pass"};
  const std::string xml = report_xml(aggregate("example.com", {r}, meta()));
  EXPECT_NE(xml.find("      <spf>\n        <domain>helo.example</domain>\n        <result>pass</result>\n"),
            std::string::npos);
  EXPECT_EQ(xml.find("<scope>"), std::string::npos);
}

TEST(ReportXml, EscapesMarkupControlsAndInvalidUtf8) {
  EXPECT_EQ(xml_text("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(xml_text("tab\tlf\ncr\r"), "tab\tlf\ncr\r");
  EXPECT_EQ(xml_text(std::string("nul\0esc\x1b" "del\x7f", 12)), "nul?esc?del?");
  EXPECT_EQ(xml_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7");
  EXPECT_EQ(xml_text("\xc3"), "?");                  // truncated sequence
  EXPECT_EQ(xml_text("\xc0\xaf"), "??");             // overlong
  EXPECT_EQ(xml_text("\xed\xa0\x80"), "???");        // a surrogate
  EXPECT_EQ(xml_text("\xef\xbf\xbe"), "???");        // U+FFFE is not an XML Char
  EXPECT_EQ(xml_text("\xf4\x90\x80\x80"), "????");   // above U+10FFFF
  EvaluationRecord r = rec("192.0.2.1", Disposition::none, false);
  r.dkim = {{"x.example", "</selector><injected/>", "fail"}};
  const std::string xml = report_xml(aggregate("example.com", {r}, meta()));
  EXPECT_NE(xml.find("<selector>&lt;/selector&gt;&lt;injected/&gt;</selector>"), std::string::npos);
  EXPECT_EQ(xml.find("<injected/>"), std::string::npos);
}

}  // namespace
}  // namespace hikyaku::dmarc_reports
