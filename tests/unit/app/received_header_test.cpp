// Received: header rendering (RFC 5321 §4.4, RFC 3848 protocol names).
#include <gtest/gtest.h>

#include "app/received_header.hpp"

namespace hikyaku::app {
namespace {

core::Envelope sample() {
  core::Envelope env;
  env.transaction_id = "ABC123.1";
  env.session.helo = "client.example.org";
  env.session.client_ip = "192.0.2.7";
  env.session.esmtp = true;
  env.recipients.push_back(*core::parse_mailbox("info@example.com", false));
  return env;
}

const auto kNoon = std::chrono::system_clock::from_time_t(1795348800);  // 2026-11-22 12:00:00Z

TEST(ReceivedHeader, PlainEsmtpWithOneRecipient) {
  EXPECT_EQ(received_header(sample(), "mx.example.net", kNoon),
            "Received: from client.example.org (unknown [192.0.2.7])\r\n"
            "\tby mx.example.net (Hikyaku) with ESMTP id ABC123.1\r\n"
            "\tfor <info@example.com>; Sun, 22 Nov 2026 12:00:00 +0000\r\n");
}

TEST(ReceivedHeader, TlsDetailsAndNoForClauseWithSeveralRecipients) {
  auto env = sample();
  env.session.tls = true;
  env.session.tls_version = "TLSv1.3";
  env.session.tls_cipher = "TLS_AES_256_GCM_SHA384";
  env.recipients.push_back(*core::parse_mailbox("sales@example.com", false));
  const auto h = received_header(env, "mx.example.net", kNoon);
  EXPECT_NE(h.find("with ESMTPS id"), std::string::npos);
  EXPECT_NE(h.find("(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)"), std::string::npos);
  EXPECT_EQ(h.find("for <"), std::string::npos);
}

TEST(ReceivedHeader, ProtocolNames) {
  auto env = sample();
  env.session.esmtp = false;
  EXPECT_NE(received_header(env, "h", kNoon).find("with SMTP id"), std::string::npos);
  env.smtputf8 = true;
  EXPECT_NE(received_header(env, "h", kNoon).find("with UTF8SMTP id"), std::string::npos);
  env.session.tls = true;
  EXPECT_NE(received_header(env, "h", kNoon).find("with UTF8SMTPS id"), std::string::npos);
}

TEST(ReceivedHeader, HostileHeloCannotBreakTheField) {
  auto env = sample();
  env.session.helo = "evil\r\nX-Injected: yes (\t\"x\";";
  const auto h = received_header(env, "mx.example.net", kNoon);
  EXPECT_EQ(h.find("X-Injected: yes"), std::string::npos);
  EXPECT_NE(h.find("from evil??X-Injected:?yes"), std::string::npos);
  // Only the folding CRLFs we write: every CRLF is followed by a tab or ends the field.
  for (size_t p = h.find("\r\n"); p != std::string::npos; p = h.find("\r\n", p + 2)) {
    EXPECT_TRUE(p + 2 == h.size() || h[p + 2] == '\t') << p;
  }
}

// smtpd refuses an 8-bit HELO (501 5.5.2); whatever reaches the header is still made 7-bit,
// the PTR name included (DNS labels may hold any octet).
TEST(ReceivedHeader, EightBitHeloAndPtrNameStaySevenBit) {
  auto env = sample();
  env.session.helo = "b\xc3\xbc" "cher.example";
  env.session.client_rdns = "\xff\x80.example";
  const auto h = received_header(env, "mx.example.net", kNoon);
  for (unsigned char c : h) EXPECT_LT(c, 0x80) << h;
  EXPECT_NE(h.find("from b??cher.example (??.example ["), std::string::npos) << h;
}

TEST(ReceivedHeader, EmptyHeloIsUnknown) {
  auto env = sample();
  env.session.helo.clear();
  EXPECT_EQ(received_header(env, "h", kNoon).rfind("Received: from unknown (", 0), 0u);
}

TEST(Rfc5322Date, Epoch) {
  EXPECT_EQ(rfc5322_date(std::chrono::system_clock::from_time_t(0)), "Thu, 1 Jan 1970 00:00:00 +0000");
}

}  // namespace
}  // namespace hikyaku::app
