// A report mail: RFC 6522 multipart/report with a text/plain part and the report as a gzip
// (RFC 1952) attachment in base64 (RFC 2045 §6.8), CRLF line ends, ready to be DKIM-signed.
// RFC 8460 §5.3 (report-type="tlsrpt") and the DMARC aggregate report mail both take this shape.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hikyaku::reports {

struct ReportMail {
  std::string from;     // the reports sender at the forwarding domain (an address)
  std::string to;       // the rua mailto address
  std::string subject;
  std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. TLS-Report-Domain
  std::string report_type;   // the multipart/report report-type parameter ("tlsrpt")
  std::string human_text;    // the text/plain part
  std::string attachment_content_type;  // "application/tlsrpt+gzip"
  std::string attachment_filename;
  std::string attachment_bytes;  // already gzip-compressed
  std::string message_id_domain;
  std::int64_t date = 0;     // Unix seconds: the Date field
};

// The whole message. Header values with CR or LF have them replaced by spaces (nothing we
// write carries a line break from outside); long values are folded before 78 columns.
std::string build_report_message(const ReportMail& mail);

// RFC 1952 gzip of `bytes` (zlib, best compression).
std::string gzip(std::string_view bytes);
// The inverse, for tests and the CLI: false (out empty) on a bad or truncated stream, or
// when the output would pass max_out bytes.
bool gunzip(std::string_view bytes, std::string& out, std::size_t max_out);

// RFC 4648 base64, in lines of 76 characters each ended by CRLF (RFC 2045 §6.8).
std::string base64_lines(std::string_view bytes);

// "Mon, 07 Dec 2026 23:49:18 +0000" (RFC 5322 §3.3).
std::string rfc5322_date(std::int64_t unix_seconds);

}  // namespace hikyaku::reports
