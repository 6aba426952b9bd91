// RFC 3464 DSN rendering inside an RFC 6522 multipart/report. Every value taken from the
// envelope or an upstream reply is reduced to printable ASCII on one line and truncated so the
// line stays within RFC 5322's 998 octets; the boundary is checked against every part.
#include "queue/dsn.hpp"

#include <ctime>
#include <string_view>

namespace hikyaku::queue {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// The length of the well-formed UTF-8 sequence (RFC 3629 §4) starting at in[i], or 0.
std::size_t utf8_sequence(std::string_view in, std::size_t i) {
  const auto b = [&in](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second octet
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (i + n > in.size() || b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

// One header-safe line: controls (CR, LF, NUL, TAB...) become spaces, 8-bit octets '?' (with
// utf8, well-formed UTF-8 sequences are kept whole), and the result is cut to max octets.
std::string one_line(std::string_view in, std::size_t max, bool utf8 = false) {
  std::string out;
  for (std::size_t i = 0; i < in.size() && out.size() < max; ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x20 || c == 0x7F) {
      out.push_back(' ');
    } else if (c >= 0x80) {
      const std::size_t n = utf8 ? utf8_sequence(in, i) : 0;
      if (n == 0) {
        out.push_back('?');
      } else {
        if (out.size() + n > max) break;  // never half a character
        out.append(in.substr(i, n));
        i += n - 1;
      }
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Adds "Name: value" CRLF with value sanitised so the whole line fits in kDsnMaxLine.
void field(std::string& out, std::string_view name, std::string_view value, bool utf8 = false) {
  const std::size_t room = kDsnMaxLine - name.size() - 2;
  out.append(name).append(": ").append(one_line(value, room, utf8)).append(kCrlf);
}

bool has_8bit(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// RFC 3464 §2.3.1/§2.3.2 address-type: "rfc822", or "utf-8" (RFC 6533 §3) for a UTF-8 address
// in a global DSN.
std::string typed_address(std::string_view address, bool utf8) {
  return std::string(utf8 && has_8bit(address) ? "utf-8; " : "rfc822; ").append(address);
}

// Only atext-safe characters, for Message-ID and the boundary.
std::string token(std::string_view in, std::size_t max = 20) {
  std::string out;
  for (const char c : in) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-') {
      out.push_back(c);
    }
    if (out.size() >= max) break;
  }
  return out.empty() ? "x" : out;
}

// The original header block with CRLF line ends (bare CR or LF become line breaks), NUL
// dropped, each line cut to 998 octets, ending before the first empty line.
std::string normalise_headers(std::string_view in) {
  std::string out, line;
  auto flush = [&out, &line]() {
    if (line.size() > kDsnMaxLine) line.resize(kDsnMaxLine);
    out.append(line).append(kCrlf);
    line.clear();
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
      if (line.empty()) return out;  // end of the header block
      flush();
    } else if (c != '\0') {
      line.push_back(c);
    }
  }
  if (!line.empty()) flush();
  return out;
}

std::string_view action_word(DsnAction a) { return a == DsnAction::failed ? "failed" : "delayed"; }

}  // namespace

std::string rfc5322_date(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return std::string(buf, n);
}

std::string render_dsn(const DsnInput& in) {
  bool any_failed = false;
  for (const auto& r : in.recipients) any_failed = any_failed || r.action == DsnAction::failed;
  const std::string host = one_line(in.reporting_mta, 255);

  std::string human;
  human.append("This is the mail system at host ").append(host).append(".").append(kCrlf);
  human.append(kCrlf);
  if (any_failed) {
    human.append("I'm sorry to have to inform you that your message could not").append(kCrlf);
    human.append("be delivered to one or more recipients. The details follow.").append(kCrlf);
  } else {
    human.append("Your message could not be delivered yet to one or more recipients.").append(kCrlf);
    human.append("Delivery is still being retried; you need not resend it.").append(kCrlf);
  }
  human.append(kCrlf);
  for (const auto& r : in.recipients) {
    std::string line = "<" + r.final_recipient + ">: " + std::string(action_word(r.action)) + " " +
                       r.status;
    if (!r.remote_mta.empty()) line += " (host " + r.remote_mta + " said: " + r.diagnostic + ")";
    else if (!r.diagnostic.empty()) line += " (" + r.diagnostic + ")";
    human.append(one_line(line, kDsnMaxLine, in.utf8)).append(kCrlf);
  }

  // RFC 3464 §2.2 per-message fields, then §2.3 per-recipient groups separated by blank lines.
  std::string status;
  if (!in.envelope_id.empty()) field(status, "Original-Envelope-Id", in.envelope_id);
  field(status, "Reporting-MTA", "dns; " + host);
  if (!in.queue_id.empty()) field(status, "X-Hikyaku-Queue-ID", in.queue_id);
  field(status, "Arrival-Date", rfc5322_date(in.arrival));
  for (const auto& r : in.recipients) {
    status.append(kCrlf);
    if (!r.original_recipient.empty()) {
      field(status, "Original-Recipient", typed_address(r.original_recipient, in.utf8), in.utf8);
    }
    field(status, "Final-Recipient", typed_address(r.final_recipient, in.utf8), in.utf8);
    field(status, "Action", action_word(r.action));
    field(status, "Status", r.status);
    if (!r.remote_mta.empty()) field(status, "Remote-MTA", "dns; " + r.remote_mta);
    if (!r.diagnostic.empty()) field(status, "Diagnostic-Code", "smtp; " + r.diagnostic, in.utf8);
  }

  const std::string headers = normalise_headers(in.original_headers);

  // A boundary that occurs in none of the parts (RFC 2046 §5.1.1).
  std::string boundary = "=_" + token(in.queue_id) + "." + std::to_string(in.now) + "/" + token(host);
  for (int salt = 0;; ++salt) {
    const std::string dashes = "--" + boundary;
    if (human.find(dashes) == std::string::npos && status.find(dashes) == std::string::npos &&
        headers.find(dashes) == std::string::npos) {
      break;
    }
    boundary += "=" + std::to_string(salt);
  }

  std::string out;
  field(out, "From", "Mail Delivery System <MAILER-DAEMON@" + host + ">");
  field(out, "To", in.original_sender.empty() ? "<>" : "<" + in.original_sender + ">", in.utf8);
  field(out, "Subject",
        any_failed ? "Undelivered Mail Returned to Sender" : "Delayed Mail (still being retried)");
  field(out, "Date", rfc5322_date(in.now));
  field(out, "Message-ID", "<" + std::to_string(in.now) + "." + token(in.queue_id, 64) + ".dsn@" +
                               token(host, 255) + ">");
  field(out, "Auto-Submitted", "auto-replied");
  field(out, "MIME-Version", "1.0");
  field(out, "Content-Type",
        "multipart/report; report-type=delivery-status; boundary=\"" + boundary + "\"");
  out.append(kCrlf);
  out.append("This is a MIME-encapsulated message.").append(kCrlf).append(kCrlf);
  auto part = [&](std::string_view type, const std::string& body) {
    out.append("--").append(boundary).append(kCrlf);
    out.append("Content-Type: ").append(type).append(kCrlf);
    if (in.utf8) out.append("Content-Transfer-Encoding: 8bit").append(kCrlf);  // RFC 6533 §3-§4
    out.append(kCrlf).append(body).append(kCrlf);  // the CRLF before a delimiter is the delimiter's
  };
  part(in.utf8 ? "text/plain; charset=utf-8" : "text/plain; charset=us-ascii", human);
  part(in.utf8 ? "message/global-delivery-status" : "message/delivery-status", status);
  part(in.utf8 ? "message/global-headers" : "text/rfc822-headers", headers);
  out.append("--").append(boundary).append("--").append(kCrlf);
  return out;
}

}  // namespace hikyaku::queue
