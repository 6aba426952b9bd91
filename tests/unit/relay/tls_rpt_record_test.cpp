// The TLS-RPT record (RFC 8460 §3): rua's mailto: and https: URIs, percent-decoding, the
// selection of exactly one v=TLSRPTv1 record, and what makes a record unusable.
#include <gtest/gtest.h>

#include "relay/tls_rpt_record.hpp"

namespace hikyaku::relay {
namespace {

TEST(TlsRptRecord, ParsesMailtoAndHttpsDestinations) {
  auto r = parse_tls_rpt_record(
      "v=TLSRPTv1; rua=mailto:reports@example.com , https://reporting.example.com/v1/tlsrpt");
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->rua.size(), 2u);
  EXPECT_EQ(r->rua[0].kind, ReportDestination::Kind::mailto);
  EXPECT_EQ(r->rua[0].target, "reports@example.com");
  EXPECT_EQ(r->rua[1].kind, ReportDestination::Kind::https);
  EXPECT_EQ(r->rua[1].target, "https://reporting.example.com/v1/tlsrpt");
}

TEST(TlsRptRecord, PercentDecodesTheAddressAndSkipsOtherSchemes) {
  auto r = parse_tls_rpt_record("v=TLSRPTv1;rua=ftp://x.example/r,mailto:tls%2Breports@example.com;");
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->rua.size(), 1u);
  EXPECT_EQ(r->rua[0].target, "tls+reports@example.com");
}

TEST(TlsRptRecord, Refusals) {
  EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1;"));                           // no rua
  EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1; ext=1"));                     // no rua
  EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1; rua=ftp://x.example/"));      // nothing usable
  EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:not-an-address"));
  EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:a%2@example.com"));  // bad escape
  EXPECT_FALSE(parse_tls_rpt_record("v=TLSRPTv1; rua=mailto:a@example.com,"));   // empty URI
  EXPECT_FALSE(parse_tls_rpt_record("v=tlsrptv1; rua=mailto:a@example.com"));
}

TEST(TlsRptRecord, SelectionNeedsExactlyOneRecord) {
  std::string why;
  EXPECT_TRUE(select_tls_rpt_record({"other", "v=TLSRPTv1; rua=mailto:a@example.com"}, &why));
  EXPECT_FALSE(select_tls_rpt_record({"v=TLSRPTv1; rua=mailto:a@example.com",
                                      "v=TLSRPTv1; rua=mailto:b@example.com"}, &why));
  EXPECT_EQ(why, "more than one v=TLSRPTv1 record");
  EXPECT_FALSE(select_tls_rpt_record({}, &why));
  EXPECT_EQ(why, "no v=TLSRPTv1 record");
}

}  // namespace
}  // namespace hikyaku::relay
