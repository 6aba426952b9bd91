// Delivery status notifications as bytes: RFC 3464 (message/delivery-status fields, §2.2-2.3),
// RFC 6522 (multipart/report, text/rfc822-headers), RFC 3834 (Auto-Submitted), RFC 5322 (Date,
// line limits), RFC 3461 (Original-Envelope-Id, Original-Recipient), RFC 6533 (UTF-8 DSNs:
// message/global-delivery-status, message/global-headers). Inputs are sanitised: no raw CR/LF
// reaches a line.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hikyaku::queue {

enum class DsnAction { failed, delayed };

struct DsnRecipient {
  std::string final_recipient;  // the address reported as the recipient (RFC 3464 §2.3.2)
  DsnAction action = DsnAction::failed;
  std::string status;           // enhanced status code, e.g. "5.1.1" (RFC 3463)
  std::string remote_mta;       // host name of the upstream that answered ("" when none)
  std::string diagnostic;       // the upstream's reply text ("" when none)
  // The address the sender used (RFC 3464 §2.3.1, RFC 3461 §4.2); "" leaves the field out.
  std::string original_recipient;
};

struct DsnInput {
  std::string reporting_mta;     // our host name
  std::string envelope_id;       // RFC 3461 ENVID ("" when the sender gave none)
  std::string queue_id;
  std::int64_t arrival = 0;      // Unix seconds
  std::string original_sender;   // the DSN's recipient (To:)
  std::vector<DsnRecipient> recipients;
  std::string original_headers;  // the original message's header block
  std::int64_t now = 0;          // Unix seconds: Date: and Message-ID
  // RFC 6533: the report is message/global-delivery-status and the headers message/global-headers,
  // and UTF-8 in addresses, diagnostics and headers is kept (only for a DSN sent with SMTPUTF8).
  // Otherwise every 8-bit octet of a field becomes '?'.
  bool utf8 = false;
};

inline constexpr std::size_t kDsnMaxLine = 998;  // RFC 5322 §2.1.1, without CRLF

// RFC 5322 date-time in UTC, e.g. "Sun, 22 Nov 2026 17:46:02 +0000".
std::string rfc5322_date(std::int64_t unix_seconds);

// The whole DSN message (headers and body), every line CRLF-terminated and <= 998 octets.
std::string render_dsn(const DsnInput& in);

}  // namespace hikyaku::queue
