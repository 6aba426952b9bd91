// Report names (RFC 9990 "Report Delivery"): the day's date_range, a Report-ID that is also a
// valid unique-id and the same on every re-send, the filename and the dmarc-subject.
#include <gtest/gtest.h>

#include "dmarc_reports/report_naming.hpp"

namespace hikyaku::dmarc_reports {
namespace {

TEST(ReportNaming, DayRangeIsTheUtcDay) {
  const auto r = day_range("2026-12-07");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->first, 1796601600);
  EXPECT_EQ(r->second, 1796601600 + 86399);
  EXPECT_EQ(day_range("1970-01-01")->first, 0);
  for (const char* bad : {"", "2026-12-7", "2026-13-01", "2026-02-30", "2026/12/07", "20261207xx", "2026-12-0a"}) {
    EXPECT_FALSE(day_range(bad).has_value()) << bad;
  }
}

TEST(ReportNaming, ReportIdIsAlphanumericStableAndDistinct) {
  const std::string id = report_id("fwd.example.net", "example.com", "2026-12-07");
  EXPECT_EQ(id.size(), 8u + 24u);
  EXPECT_TRUE(id.starts_with("20261207"));
  for (const char c : id) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
  EXPECT_EQ(id, report_id("fwd.example.net", "example.com", "2026-12-07"));
  EXPECT_NE(id, report_id("fwd.example.net", "example.org", "2026-12-07"));
  EXPECT_NE(id, report_id("fwd.example.net", "example.com", "2026-12-08"));
  EXPECT_NE(id, report_id("other.example.net", "example.com", "2026-12-07"));
}

TEST(ReportNaming, FilenameAndSubject) {
  EXPECT_EQ(report_filename("fwd.example.net", "example.com", 1796601600, 1796687999, "20261207ab12"),
            "fwd.example.net!example.com!1796601600!1796687999!20261207ab12.xml.gz");
  EXPECT_EQ(report_subject("example.com", "fwd.example.net", "20261207ab12"),
            "Report Domain: example.com Submitter: fwd.example.net Report-ID: 20261207ab12");
}

}  // namespace
}  // namespace hikyaku::dmarc_reports
