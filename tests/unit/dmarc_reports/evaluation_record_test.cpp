// The evaluation record's line encoding: the exact line of a known record, a round trip of
// values carrying every separator, CR, LF and UTF-8, and each kind of bad line refused with an
// error value (a foreign, torn or tampered line never becomes a report row).
#include <gtest/gtest.h>

#include "dmarc_reports/evaluation_record.hpp"

namespace hikyaku::dmarc_reports {
namespace {

EvaluationRecord sample() {
  EvaluationRecord r;
  r.header_from = "news.example.com";
  r.policy_domain = "example.com";
  r.source_ip = "192.0.2.7";
  r.envelope_from = "bounce.example.com";
  r.envelope_to = "served.example";
  r.dkim = {{"example.com", "s1", "pass"}, {"other.example", "k2", "fail"}};
  r.spf = {"bounce.example.com", "mfrom", "softfail"};
  r.dkim_aligned = true;
  r.spf_aligned = false;
  r.disposition = Disposition::pass;
  r.policy = {"reject", "quarantine", "", "s", "r", false, "u", "1"};
  r.rua = {"mailto:agg@example.com", "mailto:dmarc@reports.example!10m"};
  return r;
}

TEST(EvaluationRecord, EncodesOneLineWithNamedFields) {
  EXPECT_EQ(encode_record(sample()),
            "dmarc1\tfrom=news.example.com\tpd=example.com\tip=192.0.2.7\tmf=bounce.example.com"
            "\tto=served.example\tdkim=example.com;s1;pass,other.example;k2;fail"
            "\tspf=bounce.example.com;mfrom;softfail\talign=pass;fail\tdisp=pass\treason="
            "\tpol=reject;quarantine;;s;r;n;u;1\trua=mailto:agg@example.com,mailto:dmarc@reports.example!10m");
}

TEST(EvaluationRecord, RoundTripsValuesWithSeparatorsControlsAndUtf8) {
  EvaluationRecord r = sample();
  r.envelope_from = "";  // the null reverse-path
  r.dkim = {{"a,b;c=d%e", "s\t1\r\n", "permerror"}, {"\xc3\xa9t\xc3\xa9.example", " ", "none"}};
  r.reasons = {{OverrideType::trusted_forwarder, "ARC sealer lists.example; i=1"},
               {OverrideType::local_policy, ""}};
  r.policy.testing = true;
  r.rua = {"mailto:a%2Cb@x.example"};
  const std::string line = encode_record(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  const auto back = parse_record(line);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, r);
}

TEST(EvaluationRecord, SkipsUnknownFieldsAndAcceptsAnyOrder) {
  const auto r = parse_record(
      "dmarc1\tpol=none;;;r;r;n;u;0\tfuture=1\tdisp=none\talign=fail;pass\tspf=x.example;mfrom;pass"
      "\tip=2001:db8::1\tpd=x.example\tfrom=x.example");
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->source_ip, "2001:db8::1");
  EXPECT_TRUE(r->spf_aligned);
  EXPECT_TRUE(r->dkim.empty());
  EXPECT_TRUE(r->rua.empty());
}

TEST(EvaluationRecord, RefusesBadLines) {
  const std::string good = encode_record(sample());
  ASSERT_TRUE(parse_record(good).has_value());
  auto replace = [&good](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<std::string> bad = {
      "",
      "dmarc2" + good.substr(6),                               // another version
      good.substr(0, good.find("\tpol=")),                     // torn: pol and rua missing
      replace("\tip=192.0.2.7", ""),                           // a required field missing
      replace("\tip=192.0.2.7", "\tip="),                      // empty address
      replace("disp=pass", "disp=bounce"),                     // not a disposition
      replace("align=pass;fail", "align=pass"),                // one word
      replace("softfail", "maybe"),                            // not an SPF result
      replace(";mfrom;", ";pra;"),                             // not a scope
      replace("k2;fail", "k2;ok"),                             // not a DKIM result
      replace("k2;fail", "k2"),                                // a DKIM result without its parts
      replace("pol=reject;", "pol=block;"),                    // not a policy
      replace(";s;r;n;", ";x;r;n;"),                           // not an alignment mode
      replace("from=news", "from=n%4"),                        // a torn escape
      replace("from=news", "from=n%zzews"),                    // a bad escape
      replace("from=news", "from=n ews"),                      // an octet that must be escaped
      replace("\tto=", "\tto=a\tto="),                         // a repeated field
      replace("\tto=served.example", "\tnovalue"),             // not key=value
      replace("reason=", "reason=whim;x"),                     // not an override type
  };
  for (const auto& line : bad) EXPECT_FALSE(parse_record(line).has_value()) << line;
}

TEST(EvaluationRecord, DkimResultsBoundedAtOneHundred) {
  EvaluationRecord r = sample();
  r.dkim.assign(kMaxDkimPerRow + 1, DkimAuth{"d.example", "s", "fail"});
  const auto back = parse_record(encode_record(r));  // the encoder keeps the first 100
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->dkim.size(), kMaxDkimPerRow);
  std::string line = encode_record(sample());
  const std::string many = "dkim=" + [] {
    std::string s;
    for (size_t i = 0; i < kMaxDkimPerRow + 1; ++i) s += (i ? "," : "") + std::string("d;s;fail");
    return s;
  }();
  line.replace(line.find("dkim="), line.find("\tspf=") - line.find("dkim="), many);
  EXPECT_FALSE(parse_record(line).has_value());
}

}  // namespace
}  // namespace hikyaku::dmarc_reports
