// Tests for reports/report_message: the RFC 6522 multipart/report layout with the RFC 8460
// §5.3 fields, CRLF line ends only, no header line broken by caller text, gzip round trip
// (RFC 1952) and its bounds, base64 lines of 76 characters (RFC 2045 §6.8).
#include <gtest/gtest.h>

#include <cstring>

#include "reports/report_message.hpp"

namespace hikyaku::reports {
namespace {

ReportMail sample() {
  ReportMail m;
  m.from = "reports@fwd.example.net";
  m.to = "tlsrpt@dest.example";
  m.subject = "Report Domain: dest.example Submitter: fwd.example.net Report-ID: <2026-12-07T00:00:00Z_dest.example@fwd.example.net>";
  m.extra_headers = {{"TLS-Report-Domain", "dest.example"}, {"TLS-Report-Submitter", "fwd.example.net"}};
  m.report_type = "tlsrpt";
  m.human_text = "This is an aggregate TLS report from fwd.example.net\nline two";
  m.attachment_content_type = "application/tlsrpt+gzip";
  m.attachment_filename = "fwd.example.net!dest.example!1796601600!1796688000.json.gz";
  m.attachment_bytes = gzip(R"({"organization-name":"x"})");
  m.message_id_domain = "fwd.example.net";
  m.date = 1796601600 + 300;
  return m;
}

std::string base64_decode(std::string_view in) {
  std::string out;
  int val = 0, bits = -8;
  for (const char c : in) {
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* p = std::strchr(alphabet, c);
    if (c == '=' || p == nullptr || c == '\0') continue;
    val = (val << 6) + static_cast<int>(p - alphabet);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

TEST(ReportMessage, MultipartReportWithTheGzipAttachment) {
  const ReportMail m = sample();
  const std::string msg = build_report_message(m);
  EXPECT_NE(msg.find("From: <reports@fwd.example.net>\r\n"), std::string::npos);
  EXPECT_NE(msg.find("To: <tlsrpt@dest.example>\r\n"), std::string::npos);
  EXPECT_NE(msg.find("Date: Mon, 07 Dec 2026 00:05:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(msg.find("TLS-Report-Domain: dest.example\r\n"), std::string::npos);
  EXPECT_NE(msg.find("TLS-Report-Submitter: fwd.example.net\r\n"), std::string::npos);
  EXPECT_NE(msg.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(msg.find("Content-Type: multipart/report; report-type=\"tlsrpt\";"), std::string::npos);
  EXPECT_NE(msg.find("Content-Type: application/tlsrpt+gzip\r\n"), std::string::npos);
  EXPECT_NE(msg.find("filename=\"fwd.example.net!dest.example!1796601600!1796688000.json.gz\""),
            std::string::npos);
  EXPECT_NE(msg.find("line two\r\n"), std::string::npos);
  // Every LF is part of a CRLF; no header line past 998 octets; the subject folded.
  for (std::size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\n') {
      ASSERT_TRUE(i > 0 && msg[i - 1] == '\r') << i;
    }
  }
  const std::string headers = msg.substr(0, msg.find("\r\n\r\n"));
  std::size_t start = 0;
  while (start < headers.size()) {
    const std::size_t end = std::min(headers.find("\r\n", start), headers.size());
    EXPECT_LE(end - start, 78u) << headers.substr(start, end - start);
    start = end + 2;
  }
  // The boundary from the header closes the message; the attachment decodes to the gzip.
  const auto b = msg.find("boundary=\"");
  ASSERT_NE(b, std::string::npos);
  const std::string boundary = msg.substr(b + 10, msg.find('"', b + 10) - b - 10);
  EXPECT_TRUE(msg.ends_with("--" + boundary + "--\r\n"));
  const auto body_start = msg.find("\r\n\r\n", msg.find("Content-Type: application/tlsrpt+gzip")) + 4;
  const auto body_end = msg.find("\r\n--" + boundary + "--");
  const std::string b64 = msg.substr(body_start, body_end - body_start);
  std::string json;
  ASSERT_TRUE(gunzip(base64_decode(b64), json, 1 << 20));
  EXPECT_EQ(json, R"({"organization-name":"x"})");
}

TEST(ReportMessage, LineBreaksFromCallersDoNotMakeNewFields) {
  ReportMail m = sample();
  m.subject = "x\r\nBcc: victim@example.com";
  m.extra_headers = {{"TLS-Report-Domain", "a\nX-Injected: 1"}};
  m.attachment_filename = "a\"b\r\nc";
  const std::string msg = build_report_message(m);
  EXPECT_EQ(msg.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(msg.find("\r\nX-Injected:"), std::string::npos);
  EXPECT_NE(msg.find("filename=\"a\\\"b  c\""), std::string::npos);
}

TEST(ReportMessage, MessageIdsDiffer) {
  const auto a = build_report_message(sample());
  const auto b = build_report_message(sample());
  const auto id = [](const std::string& m) {
    const auto p = m.find("Message-ID: ");
    return m.substr(p, m.find("\r\n", p) - p);
  };
  EXPECT_NE(id(a), id(b));
  EXPECT_TRUE(id(a).ends_with("@fwd.example.net>"));
}

TEST(Gzip, RoundTripAndBounds) {
  std::string big;
  for (int i = 0; i < 10000; ++i) big += "record " + std::to_string(i) + "\n";
  const std::string z = gzip(big);
  ASSERT_GE(z.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);  // RFC 1952 §2.3.1 ID1 ID2
  EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
  std::string out;
  ASSERT_TRUE(gunzip(z, out, big.size()));
  EXPECT_EQ(out, big);
  EXPECT_FALSE(gunzip(z, out, big.size() - 1));  // one byte over the bound
  EXPECT_FALSE(gunzip(z.substr(0, z.size() - 5), out, 1 << 20));  // truncated
  EXPECT_FALSE(gunzip("not gzip", out, 1 << 20));
  ASSERT_TRUE(gunzip(gzip(""), out, 0));
  EXPECT_EQ(out, "");
}

TEST(Base64Lines, PaddingAndLineLength) {
  EXPECT_EQ(base64_lines(""), "");
  EXPECT_EQ(base64_lines("f"), "Zg==\r\n");
  EXPECT_EQ(base64_lines("fo"), "Zm8=\r\n");
  EXPECT_EQ(base64_lines("foo"), "Zm9v\r\n");
  const std::string b = base64_lines(std::string(57, 'x'));  // exactly 76 characters
  EXPECT_EQ(b.size(), 78u);
  const std::string c = base64_lines(std::string(58, 'x'));
  EXPECT_EQ(c.find("\r\n"), 76u);
  EXPECT_TRUE(c.ends_with("==\r\n"));
}

}  // namespace
}  // namespace hikyaku::reports
