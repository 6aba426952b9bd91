// Report destinations (RFC 9990 "Report Delivery", "Verifying External Destinations") against
// zone-file answers: mailto: parsing, a destination in the policy domain's own Organizational
// Domain, an external one with and without the _report._dmarc consent (the wildcard form is
// NSD's business: the integration test serves one), the consent's rua= override on the same host and on another (then no report at all), a consent
// whose v=DMARC1 is not first, a DNS failure, other schemes, and the step 4 length limit.
#include <gtest/gtest.h>

#include "../auth/dmarc_test_support.hpp"
#include "dmarc_reports/destinations.hpp"

namespace hikyaku::dmarc_reports {
namespace {

using auth::testing::RecordingResolver;
using auth::testing::run_coroutine;
using auth::testing::zone;

const std::string kZone = zone(
    "_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"
    "example.test._report._dmarc.reports IN TXT \"v=DMARC1\"\n"
    "example.test._report._dmarc.over IN TXT \"v=DMARC1; rua=mailto:other@over.test\"\n"
    "example.test._report._dmarc.evil IN TXT \"v=DMARC1; rua=mailto:x@victim.test\"\n"
    "example.test._report._dmarc.notfirst IN TXT \"p=none; v=DMARC1\"\n"
    "example.test._report._dmarc.other IN TXT \"some text\"\n"
    "example.test._report._dmarc.any IN TXT \"v=DMARC1;\"\n");

Destinations destinations(RecordingResolver& r, std::vector<std::string> rua) {
  return run_coroutine(report_destinations(r, "example.test", std::move(rua)));
}

std::vector<std::string> addresses(const Destinations& d) {
  std::vector<std::string> out;
  for (const auto& x : d.send_to) out.push_back(x.address);
  return out;
}

TEST(Destinations, ParsesMailtoUris) {
  const auto d = parse_mailto("mailto:agg@Example.TEST");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->address, "agg@example.test");
  EXPECT_EQ(d->domain, "example.test");
  EXPECT_EQ(d->uri, "mailto:agg@Example.TEST");
  EXPECT_EQ(parse_mailto("MAILTO:a@b.example!10m")->address, "a@b.example");   // RFC 7489 size suffix
  EXPECT_EQ(parse_mailto("mailto:a%2Bb@b.example?subject=x")->address, "a+b@b.example");
  for (const char* bad : {"https://reports.example/upload", "mailto:", "mailto:nobody", "mailto:a@b.example,c@d.example",
                          "mailto:a@[192.0.2.1]", "mailto:a%zz@b.example", "mailto:a%0A@b.example", "agg@example.test",
                          "mailto:@b.example"}) {
    EXPECT_FALSE(parse_mailto(bad).has_value()) << bad;
  }
}

TEST(Destinations, SameOrganizationalDomainNeedsNoConsent) {
  RecordingResolver r(kZone);
  const auto d = destinations(r, {"mailto:agg@example.test", "mailto:dmarc@sub.example.test"});
  EXPECT_EQ(addresses(d), (std::vector<std::string>{"agg@example.test", "dmarc@sub.example.test"}));
  EXPECT_TRUE(d.skipped.empty());
  for (const auto& q : r.asked) EXPECT_EQ(q.find("_report"), std::string::npos) << q;
}

TEST(Destinations, ExternalDestinationOnlyWithConsent) {
  RecordingResolver r(kZone);
  const auto d = destinations(r, {"mailto:ext@reports.test", "mailto:no@noauth.test", "mailto:n@notfirst.test",
                                  "mailto:o@other.test", "mailto:w@any.test"});
  EXPECT_EQ(addresses(d), (std::vector<std::string>{"ext@reports.test", "w@any.test"}));
  ASSERT_EQ(d.skipped.size(), 3u);
  EXPECT_EQ(d.skipped[0],
            "mailto:no@noauth.test: external destination not authorized (no v=DMARC1 TXT at "
            "example.test._report._dmarc.noauth.test)");
  EXPECT_FALSE(d.temporary_failure);
  EXPECT_NE(std::find(r.asked.begin(), r.asked.end(), "example.test._report._dmarc.reports.test TXT"), r.asked.end());
}

TEST(Destinations, ConsentMayRedirectOnTheSameHostOnly) {
  RecordingResolver r(kZone);
  const auto d = destinations(r, {"mailto:first@over.test", "mailto:x@evil.test"});
  EXPECT_EQ(addresses(d), std::vector<std::string>{"other@over.test"});
  ASSERT_EQ(d.skipped.size(), 1u);
  EXPECT_EQ(d.skipped[0], "mailto:x@evil.test: the authorizing record at example.test._report._dmarc.evil.test names another host");
}

TEST(Destinations, OtherSchemesDuplicatesAndDnsFailures) {
  RecordingResolver r(kZone, {"example.test._report._dmarc.flaky.test"});
  const auto d = destinations(
      r, {"https://example.test/rua", "mailto:agg@example.test", "mailto:agg@EXAMPLE.test!5m", "mailto:f@flaky.test"});
  EXPECT_EQ(addresses(d), std::vector<std::string>{"agg@example.test"});
  ASSERT_EQ(d.skipped.size(), 2u);
  EXPECT_EQ(d.skipped[0], "https://example.test/rua: not a mailto: URI with one address (RFC 9990 defines only mailto)");
  EXPECT_EQ(d.skipped[1], "mailto:f@flaky.test: example.test._report._dmarc.flaky.test TXT lookup failed");
  EXPECT_TRUE(d.temporary_failure);
}

TEST(Destinations, AuthorizationNameWithinDnsLimits) {
  EXPECT_EQ(authorization_name("Example.TEST.", "reports.test"), "example.test._report._dmarc.reports.test");
  const std::string label63(63, 'a');
  const std::string policy = label63 + "." + label63 + "." + label63 + ".test";  // 196 octets
  // 196 + 15 ("._report._dmarc") + 1 + host: 253 octets fit, 254 do not.
  const std::string host41 = std::string(36, 'h') + ".test";
  const std::string host42 = std::string(37, 'h') + ".test";
  EXPECT_EQ(authorization_name(policy, host41).size(), 253u);
  EXPECT_EQ(authorization_name(policy, host42), "");
  EXPECT_EQ(authorization_name(std::string(64, 'a') + ".test", "r.test"), "");  // a label over 63
}

}  // namespace
}  // namespace hikyaku::dmarc_reports
