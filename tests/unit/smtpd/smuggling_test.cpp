// SMTP smuggling (2023) and injection: a valid session with '\0', '\r' or '\n' inserted at every
// offset must be refused or handled cleanly, and never yield a second message out of one DATA.
// RFC 5321 §2.3.8 and §4.1.1.4 (CRLF.CRLF is the only end of data). Envoy/Seastar style.
#include <gtest/gtest.h>

#include "protocol_driver.hpp"

namespace hikyaku::smtpd::test {
namespace {

// The body hides a whole second transaction behind would-be end markers.
const std::string kHead = "EHLO c.test\r\nMAIL FROM:<a@s.test>\r\nRCPT TO:<b@r.test>\r\nDATA\r\n";
const std::string kBody =
    "Subject: t\r\n\r\nhello\r\n..\r\nMAIL FROM:<evil@s.test>\r\nRCPT TO:<evil@r.test>\r\n"
    "DATA\r\nsmuggled\r\n";
const std::string kTail = ".\r\nQUIT\r\n";

struct Outcome {
  std::string out;
  std::vector<std::string> messages;
  std::vector<std::string> checked;
  int closes;
};

Outcome run(const std::string& script, bool bytewise) {
  Driver d;
  if (bytewise) {
    d.feed_bytewise(script);
  } else {
    d.feed(script);
  }
  return {d.out, d.messages, d.checked, d.closes};
}

TEST(SmtpdSmuggling, BaselineDeliversOneMessage) {
  auto r = run(kHead + kBody + kTail, false);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            "Subject: t\r\n\r\nhello\r\n.\r\nMAIL FROM:<evil@s.test>\r\nRCPT TO:<evil@r.test>\r\n"
            "DATA\r\nsmuggled\r\n");
  EXPECT_EQ(r.checked, std::vector<std::string>{"b@r.test"});
}

TEST(SmtpdSmuggling, ClassicEndMarkersDoNotEndTheMessage) {
  for (std::string fake : {"\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r", "\r\n.\r"}) {
    const std::string body = "hello" + fake + "MAIL FROM:<evil@s.test>\r\nRCPT TO:<evil@r.test>\r\n"
                              "DATA\r\nsmuggled\r\n";
    for (bool bytewise : {false, true}) {
      auto r = run(kHead + body + kTail, bytewise);
      EXPECT_TRUE(r.messages.empty()) << testing::PrintToString(fake);
      EXPECT_EQ(r.checked, std::vector<std::string>{"b@r.test"});
      EXPECT_NE(r.out.find("550 5.6.11 Error: bare CR or LF in message data"), std::string::npos);
      EXPECT_EQ(r.out.substr(r.out.size() - 15), "221 2.0.0 Bye\r\n");
    }
  }
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// CR and LF only as CRLF pairs: what a message we accept must look like.
bool crlf_clean(const std::string& m) {
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r' && (i + 1 >= m.size() || m[i + 1] != '\n')) return false;
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return false;
  }
  return true;
}

TEST(SmtpdSmuggling, InsertNulCrLfAtEveryOffset) {
  const std::string script = kHead + kBody + kTail;
  const size_t data_start = kHead.size();                   // first octet after DATA's CRLF
  const size_t dot = kHead.size() + kBody.size();           // the final ".\r\n"
  for (char inserted : {'\0', '\r', '\n'}) {
    for (size_t at = 0; at <= script.size(); ++at) {
      std::string s = script;
      s.insert(at, 1, inserted);
      for (bool bytewise : {false, true}) {
        auto r = run(s, bytewise);
        SCOPED_TRACE(testing::Message() << "inserted " << int(inserted) << " at " << at
                                        << (bytewise ? " bytewise" : " whole"));
        // Each 354 yields at most one message, and an accepted message is CRLF-clean.
        EXPECT_LE(r.messages.size(), count_of(r.out, "354 "));
        for (const auto& m : r.messages) EXPECT_TRUE(crlf_clean(m));
        EXPECT_LE(r.closes, 1);
        if (at < data_start) continue;  // a broken command: the rest may be read as commands
        // The real DATA got its 354: everything up to the real end is one message.
        EXPECT_EQ(count_of(r.out, "354 "), 1u);
        EXPECT_LE(r.messages.size(), 1u);
        for (const auto& c : r.checked) EXPECT_EQ(c.find("evil"), std::string::npos);
        const bool splits_crlf = at > 0 && script[at - 1] == '\r' && script[at] == '\n';
        if (at <= dot && (inserted != '\0' || splits_crlf)) {
          // A CR or LF anywhere in the data (or a CRLF split in two) can never be accepted.
          EXPECT_TRUE(r.messages.empty());
        } else if (at < dot) {
          // A NUL in the data passes: the message is the original plus that octet.
          // (Before the stuffed ".." line's first dot, that dot is no longer unstuffed.)
          ASSERT_EQ(r.messages.size(), 1u);
          EXPECT_GE(r.messages[0].size(), kBody.size());
          EXPECT_LE(r.messages[0].size(), kBody.size() + 1);
          EXPECT_NE(r.messages[0].find('\0'), std::string::npos);
        }
      }
    }
  }
}

TEST(SmtpdSmuggling, BytewiseEqualsWholeUnderInsertion) {
  const std::string script = kHead + kBody + kTail;
  for (char inserted : {'\0', '\r', '\n'}) {
    for (size_t at = 0; at <= script.size(); ++at) {
      std::string s = script;
      s.insert(at, 1, inserted);
      auto a = run(s, false);
      auto b = run(s, true);
      EXPECT_EQ(a.out, b.out) << int(inserted) << " at " << at;
      EXPECT_EQ(a.messages, b.messages);
    }
  }
}

}  // namespace
}  // namespace hikyaku::smtpd::test
