// Tests for queue/dsn: the rendered DSN parsed back (RFC 6522 parts split by the boundary, the
// RFC 3464 per-message and per-recipient fields), CRLF-only lines within 998 octets, and hostile
// inputs (CR/LF, NUL, very long text, a boundary-like line in the headers) kept harmless.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "queue/dsn.hpp"

namespace hikyaku::queue {
namespace {

using namespace std::string_literals;

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    const auto next = s.find(sep, pos);
    out.push_back(s.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) return out;
    pos = next + sep.size();
  }
}

// Header block of a message or part -> name -> value (first occurrence).
std::map<std::string, std::string> headers_of(const std::string& block) {
  std::map<std::string, std::string> out;
  for (const auto& line : split(block, "\r\n")) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos) out.emplace(line.substr(0, colon), line.substr(colon + 2));
  }
  return out;
}

struct Parsed {
  std::map<std::string, std::string> top;
  std::vector<std::pair<std::string, std::string>> parts;  // content type, body
};

Parsed parse(const std::string& dsn) {
  Parsed p;
  const auto hdr_end = dsn.find("\r\n\r\n");
  EXPECT_NE(hdr_end, std::string::npos);
  p.top = headers_of(dsn.substr(0, hdr_end));
  const std::string ct = p.top["Content-Type"];
  const auto b = ct.find("boundary=\"");
  EXPECT_NE(b, std::string::npos);
  const std::string boundary = ct.substr(b + 10, ct.find('"', b + 10) - b - 10);
  EXPECT_FALSE(boundary.empty());
  EXPECT_LE(boundary.size(), 70u);
  const std::string body = dsn.substr(hdr_end + 4);
  EXPECT_NE(body.find("\r\n--" + boundary + "--\r\n"), std::string::npos);
  auto chunks = split(body, "\r\n--" + boundary);
  EXPECT_EQ(chunks.size(), 5u);  // preamble, three parts, "--" epilogue
  for (std::size_t i = 1; i + 1 < chunks.size(); ++i) {
    const std::string& c = chunks[i];
    EXPECT_EQ(c.substr(0, 2), "\r\n");
    const auto end = c.find("\r\n\r\n");
    const auto h = headers_of(c.substr(2, end - 2));
    p.parts.emplace_back(h.count("Content-Type") ? h.at("Content-Type") : "", c.substr(end + 4));
  }
  return p;
}

DsnInput sample() {
  DsnInput in;
  in.reporting_mta = "fwd.example";
  in.envelope_id = "ENV123";
  in.queue_id = "Q42";
  in.arrival = 1790000000;
  in.now = 1790003600;
  in.original_sender = "alice@example.org";
  in.recipients = {{"bob@example.net", DsnAction::failed, "5.1.1", "mx.example.net",
                    "550 5.1.1 <bob@example.net>: no such user", ""},
                   {"carol@example.net", DsnAction::delayed, "4.4.1", "", "", ""}};
  in.original_headers = "From: alice@example.org\r\nSubject: hi\r\nMessage-ID: <a@b>\r\n\r\nbody";
  return in;
}

void expect_well_formed(const std::string& dsn) {
  ASSERT_GE(dsn.size(), 2u);
  EXPECT_EQ(dsn.substr(dsn.size() - 2), "\r\n");
  for (std::size_t i = 0; i < dsn.size(); ++i) {
    if (dsn[i] == '\n') {
      ASSERT_TRUE(i > 0 && dsn[i - 1] == '\r') << "bare LF at " << i;
    }
    if (dsn[i] == '\r') {
      ASSERT_TRUE(i + 1 < dsn.size() && dsn[i + 1] == '\n') << "bare CR at " << i;
    }
    ASSERT_NE(dsn[i], '\0') << "NUL at " << i;
  }
  for (const auto& line : split(dsn, "\r\n")) EXPECT_LE(line.size(), kDsnMaxLine);
}

TEST(Dsn, TopLevelHeaders) {
  const std::string dsn = render_dsn(sample());
  expect_well_formed(dsn);
  const Parsed p = parse(dsn);
  EXPECT_EQ(p.top.at("From"), "Mail Delivery System <MAILER-DAEMON@fwd.example>");
  EXPECT_EQ(p.top.at("To"), "<alice@example.org>");
  EXPECT_EQ(p.top.at("Subject"), "Undelivered Mail Returned to Sender");
  EXPECT_EQ(p.top.at("Date"), "Mon, 21 Sep 2026 15:13:20 +0000");
  EXPECT_EQ(p.top.at("Auto-Submitted"), "auto-replied");
  EXPECT_EQ(p.top.at("MIME-Version"), "1.0");
  EXPECT_EQ(p.top.at("Message-ID").front(), '<');
  EXPECT_NE(p.top.at("Message-ID").find("@fwd.example>"), std::string::npos);
  EXPECT_EQ(p.top.at("Content-Type").rfind("multipart/report; report-type=delivery-status; ", 0), 0u);
}

TEST(Dsn, ThreePartsWithDeliveryStatusFields) {
  const Parsed p = parse(render_dsn(sample()));
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(p.parts[0].first.rfind("text/plain", 0), 0u);
  EXPECT_NE(p.parts[0].second.find("bob@example.net"), std::string::npos);
  EXPECT_EQ(p.parts[1].first, "message/delivery-status");
  EXPECT_EQ(p.parts[2].first, "text/rfc822-headers");

  const auto groups = split(p.parts[1].second, "\r\n\r\n");
  ASSERT_GE(groups.size(), 3u);
  const auto msg = headers_of(groups[0]);
  EXPECT_EQ(msg.at("Reporting-MTA"), "dns; fwd.example");
  EXPECT_EQ(msg.at("Original-Envelope-Id"), "ENV123");
  EXPECT_EQ(msg.at("Arrival-Date"), "Mon, 21 Sep 2026 14:13:20 +0000");
  const auto bob = headers_of(groups[1]);
  EXPECT_EQ(bob.at("Final-Recipient"), "rfc822; bob@example.net");
  EXPECT_EQ(bob.at("Action"), "failed");
  EXPECT_EQ(bob.at("Status"), "5.1.1");
  EXPECT_EQ(bob.at("Remote-MTA"), "dns; mx.example.net");
  EXPECT_EQ(bob.at("Diagnostic-Code"), "smtp; 550 5.1.1 <bob@example.net>: no such user");
  EXPECT_EQ(bob.count("Original-Recipient"), 0u);  // none given: none written
  const auto carol = headers_of(groups[2]);
  EXPECT_EQ(carol.at("Final-Recipient"), "rfc822; carol@example.net");
  EXPECT_EQ(carol.at("Action"), "delayed");
  EXPECT_EQ(carol.count("Remote-MTA"), 0u);

  // Only the header block is returned, not the body.
  EXPECT_NE(p.parts[2].second.find("Subject: hi\r\n"), std::string::npos);
  EXPECT_EQ(p.parts[2].second.find("body"), std::string::npos);
}

TEST(Dsn, OnlyDelayedGetsDelayedSubject) {
  DsnInput in = sample();
  in.recipients.erase(in.recipients.begin());
  EXPECT_EQ(parse(render_dsn(in)).top.at("Subject"), "Delayed Mail (still being retried)");
}

TEST(Dsn, NullSenderAndNoEnvelopeId) {
  DsnInput in = sample();
  in.original_sender = "";
  in.envelope_id = "";
  const Parsed p = parse(render_dsn(in));
  EXPECT_EQ(p.top.at("To"), "<>");
  EXPECT_EQ(headers_of(split(p.parts[1].second, "\r\n\r\n")[0]).count("Original-Envelope-Id"), 0u);
}

TEST(Dsn, HostileDiagnosticStaysOnOneLine) {
  DsnInput in = sample();
  in.recipients[0].diagnostic = "550 bad\r\nSubject: injected\r\n\r\n--x\0\n"s + std::string(5000, 'A');
  in.recipients[0].final_recipient = "bob@example.net\r\nAction: delivered";
  in.reporting_mta = "fwd.example\r\nBcc: victim@example.com";
  const std::string dsn = render_dsn(in);
  expect_well_formed(dsn);
  EXPECT_EQ(dsn.find("\r\nSubject: injected"), std::string::npos);
  EXPECT_EQ(dsn.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(dsn.find("\r\nAction: delivered"), std::string::npos);
  const Parsed p = parse(dsn);
  ASSERT_EQ(p.parts.size(), 3u);
  const auto bob = headers_of(split(p.parts[1].second, "\r\n\r\n")[1]);
  EXPECT_EQ(bob.at("Diagnostic-Code").rfind("smtp; 550 bad  Subject: injected", 0), 0u);
  EXPECT_EQ(bob.at("Diagnostic-Code").size(), kDsnMaxLine - std::string("Diagnostic-Code: ").size());
}

TEST(Dsn, HeadersWithBareLineEndsLongLinesAndBoundaryLookalikes) {
  DsnInput in = sample();
  const DsnInput plain = sample();
  const std::string first = parse(render_dsn(plain)).top.at("Content-Type");
  const std::string boundary = first.substr(first.find('"') + 1, first.rfind('"') - first.find('"') - 1);
  in.original_headers = "X-A: 1\rX-B: 2\nX-Evil: \0zz\r\n--"s + boundary + "\r\nX-Long: " +
                        std::string(3000, 'L') + "\r\n\r\nbody";
  const std::string dsn = render_dsn(in);
  expect_well_formed(dsn);
  const Parsed p = parse(dsn);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_NE(p.parts[2].second.find("X-A: 1\r\nX-B: 2\r\n"), std::string::npos);
  EXPECT_NE(p.parts[2].second.find("--" + boundary + "\r\n"), std::string::npos);
  EXPECT_NE(p.parts[2].second.find("X-Evil: zz\r\n"), std::string::npos);
  EXPECT_NE(p.top.at("Content-Type"), first);  // a different boundary was chosen
}

TEST(Dsn, OriginalRecipientComesBeforeFinalRecipient) {
  DsnInput in = sample();
  in.recipients[0].original_recipient = "info@example.org";
  const Parsed p = parse(render_dsn(in));
  const std::string& status = p.parts[1].second;
  const auto orig = status.find("\r\nOriginal-Recipient: rfc822; info@example.org\r\n");
  const auto fin = status.find("\r\nFinal-Recipient: rfc822; bob@example.net\r\n");
  ASSERT_NE(orig, std::string::npos);
  ASSERT_NE(fin, std::string::npos);
  EXPECT_LT(orig, fin);  // RFC 3464 §2.3 field order
}

// RFC 6533: UTF-8 kept in a global DSN (types message/global-*), never in a classic one.
TEST(Dsn, GlobalDsnKeepsUtf8AndClassicDsnDoesNot) {
  DsnInput in = sample();
  in.recipients[0].original_recipient = "j\xC3\xBCrgen@example.org";
  in.recipients[0].diagnostic = "550 5.1.1 unknown \xE2\x9C\x89 \xFF\xC3";  // then invalid octets
  in.original_headers = "Subject: caf\xC3\xA9\r\n\r\n";
  const Parsed classic = parse(render_dsn(in));
  EXPECT_EQ(classic.parts[1].first, "message/delivery-status");
  EXPECT_NE(classic.parts[1].second.find("Original-Recipient: rfc822; j??rgen@example.org"), std::string::npos);

  in.utf8 = true;
  const std::string dsn = render_dsn(in);
  expect_well_formed(dsn);
  const Parsed global = parse(dsn);
  ASSERT_EQ(global.parts.size(), 3u);
  EXPECT_EQ(global.parts[0].first, "text/plain; charset=utf-8");
  EXPECT_EQ(global.parts[1].first, "message/global-delivery-status");
  EXPECT_EQ(global.parts[2].first, "message/global-headers");
  const std::string& status = global.parts[1].second;
  EXPECT_NE(status.find("Original-Recipient: utf-8; j\xC3\xBCrgen@example.org\r\n"), std::string::npos);
  EXPECT_NE(status.find("Final-Recipient: rfc822; bob@example.net\r\n"), std::string::npos);
  EXPECT_NE(status.find("Diagnostic-Code: smtp; 550 5.1.1 unknown \xE2\x9C\x89 ??\r\n"), std::string::npos);
  EXPECT_NE(global.parts[2].second.find("Subject: caf\xC3\xA9\r\n"), std::string::npos);
}

TEST(Dsn, GlobalDsnNeverCutsACharacterInHalf) {
  DsnInput in = sample();
  in.utf8 = true;
  std::string long_utf8;
  for (int i = 0; i < 600; ++i) long_utf8 += "\xC3\xA9";  // 1200 octets
  in.recipients[0].diagnostic = "x" + long_utf8;              // odd offset: a cut would split one
  const std::string dsn = render_dsn(in);
  expect_well_formed(dsn);
  const auto bob = headers_of(split(parse(dsn).parts[1].second, "\r\n\r\n")[1]);
  const std::string& code = bob.at("Diagnostic-Code");
  EXPECT_LE(code.size() + std::string("Diagnostic-Code: ").size(), kDsnMaxLine);
  EXPECT_EQ(static_cast<unsigned char>(code.back()), 0xA9);  // ends on a whole character
}

TEST(Dsn, Rfc5322Date) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1790003600), "Mon, 21 Sep 2026 15:13:20 +0000");
}

}  // namespace
}  // namespace hikyaku::queue
