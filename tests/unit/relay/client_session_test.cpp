// ClientProtocol, session part, driven by scripted server bytes: greeting, EHLO and the HELO
// fallback (RFC 5321 §3.1-3.2), extensions, STARTTLS with the buffered-bytes discard (RFC 3207
// §4.2), connection-level failures (4xx temporary, 5xx permanent), timeouts, malformed replies.
#include <gtest/gtest.h>

#include "relay/client_protocol.hpp"
#include "scripted.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;
using client_action::Failed;
using client_action::NeedInput;
using client_action::Ready;
using client_action::StartTls;

TEST(ClientSession, GreetingEhloReadyWithStageTimeouts) {
  ClientSettings st = settings();
  st.timeouts.greeting = milliseconds(111);
  st.timeouts.ehlo = milliseconds(222);
  ClientProtocol p(st);
  Step s = run(p);
  ASSERT_TRUE(s.is<NeedInput>());
  EXPECT_EQ(s.as<NeedInput>().timeout, milliseconds(111));
  s = feed(p, "220 mx ESMTP\r\n");
  EXPECT_EQ(s.sent, "EHLO out.example.net\r\n");
  ASSERT_TRUE(s.is<NeedInput>());
  EXPECT_EQ(s.as<NeedInput>().timeout, milliseconds(222));
  s = feed(p, "250-mx\r\n250-PIPELINING\r\n250-SIZE 5000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
  ASSERT_TRUE(s.is<Ready>());
  EXPECT_TRUE(p.usable());
  EXPECT_TRUE(p.extensions().esmtp);
  EXPECT_TRUE(p.extensions().pipelining);
  EXPECT_TRUE(p.extensions().size);
  EXPECT_EQ(p.extensions().size_limit, 5000u);
  EXPECT_TRUE(p.extensions().eight_bit_mime);
  EXPECT_TRUE(p.extensions().smtputf8);
  EXPECT_FALSE(p.extensions().starttls);
}

TEST(ClientSession, OneWaitPerReplyNotPerRead) {
  ClientProtocol p(settings());
  Step s = run(p);
  const uint64_t greeting_wait = s.as<NeedInput>().wait;
  s = feed(p, "220-mx\r\n");
  EXPECT_EQ(s.as<NeedInput>().wait, greeting_wait);  // same reply, same deadline
  s = feed(p, "220-more\r\n220 done");
  EXPECT_EQ(s.as<NeedInput>().wait, greeting_wait);
  s = feed(p, "\r\n");
  EXPECT_EQ(s.sent, "EHLO out.example.net\r\n");
  EXPECT_NE(s.as<NeedInput>().wait, greeting_wait);  // EHLO's reply has its own
}

TEST(ClientSession, ParseEhloKeywords) {
  core::SmtpReply r;
  r.code = 250;
  r.lines = {"mx", "size", "StartTLS", "ENHANCEDSTATUSCODES", "AUTH PLAIN", "SIZE abc"};
  Extensions e = parse_ehlo(r);
  EXPECT_TRUE(e.starttls);
  EXPECT_TRUE(e.enhanced_status_codes);
  EXPECT_TRUE(e.size);
  EXPECT_EQ(e.size_limit, 0u);  // a malformed SIZE argument means no known maximum
  EXPECT_FALSE(e.pipelining);
  r.lines = {"mx PIPELINING"};  // keywords on the greeting line do not count
  EXPECT_FALSE(parse_ehlo(r).pipelining);
}

TEST(ClientSession, HeloFallbackOnEhlo5xx) {
  ClientProtocol p(settings());
  run(p);
  feed(p, "220 old.example\r\n");
  Step s = feed(p, "502 5.5.2 command not recognized\r\n");
  EXPECT_EQ(s.sent, "HELO out.example.net\r\n");
  ASSERT_TRUE(s.is<NeedInput>());
  s = feed(p, "250 old.example\r\n");
  ASSERT_TRUE(s.is<Ready>());
  EXPECT_FALSE(p.extensions().esmtp);
  // No ESMTP parameters after HELO.
  p.begin(transaction({"bob"}));
  s = run(p);
  EXPECT_EQ(s.sent, "MAIL FROM:<srs0=ab=cd=src.example=alice@fwd.example.net>\r\n");
}

struct FailureCase {
  const char* name;
  std::vector<std::string> script;  // server replies, one per step
  Stage stage;
  int code;
  bool temporary;
  bool quit_sent;
};

TEST(ClientSession, ConnectionLevelFailures) {
  const FailureCase cases[] = {
      {"greeting_554", {"554 5.7.1 no service\r\n"}, Stage::greeting, 554, false, true},
      {"greeting_421", {"421 4.3.2 busy\r\n"}, Stage::greeting, 421, true, false},
      {"greeting_450", {"450 try later\r\n"}, Stage::greeting, 450, true, true},
      {"ehlo_451", {"220 mx\r\n", "451 4.3.0 later\r\n"}, Stage::ehlo, 451, true, true},
      {"ehlo_421", {"220 mx\r\n", "421 4.4.2 bye\r\n"}, Stage::ehlo, 421, true, false},
      {"helo_550",
       {"220 mx\r\n", "500 no\r\n", "550 5.7.1 go away\r\n"},
       Stage::helo,
       550,
       false,
       true},
      {"helo_451", {"220 mx\r\n", "500 no\r\n", "451 later\r\n"}, Stage::helo, 451, true, true},
  };
  for (const auto& c : cases) {
    ClientProtocol p(settings());
    Step s = run(p);
    for (const auto& line : c.script) s = feed(p, line);
    ASSERT_TRUE(s.is<Failed>()) << c.name;
    const auto& f = s.as<Failed>().failure;
    EXPECT_EQ(f.stage, c.stage) << c.name;
    EXPECT_EQ(f.reply.code, c.code) << c.name;
    EXPECT_EQ(f.temporary(), c.temporary) << c.name;
    EXPECT_TRUE(f.from_upstream) << c.name;
    EXPECT_EQ(s.sent.ends_with("QUIT\r\n"), c.quit_sent) << c.name << ": " << s.sent;
    EXPECT_FALSE(p.usable()) << c.name;
    EXPECT_TRUE(std::holds_alternative<client_action::Closed>(p.next())) << c.name;
  }
}

// A reply of the wrong kind must never become the "failure" reply: a 2xx/3xx reported as a
// failure would read as accepted.
TEST(ClientSession, PositiveRepliesOutOfPlaceAreProtocolErrors) {
  const std::vector<std::vector<std::string>> scripts{
      {"250 hello?\r\n"},                            // greeting other than 220
      {"354 start?\r\n"},                            // 3xx greeting
      {"220 mx\r\n", "334 VXNlcm5hbWU6\r\n"},        // 3xx to EHLO
      {"220 mx\r\n", "500 no\r\n", "354 what\r\n"},  // 3xx to HELO
  };
  for (const auto& script : scripts) {
    ClientProtocol p(settings());
    Step s = run(p);
    for (const auto& line : script) s = feed(p, line);
    ASSERT_TRUE(s.is<Failed>()) << script.back();
    const auto& f = s.as<Failed>().failure;
    EXPECT_EQ(f.reply.code, 451) << script.back();
    EXPECT_EQ(f.reply.enhanced, "4.5.0") << script.back();
    EXPECT_FALSE(f.from_upstream);
    EXPECT_NE(f.reply.summary().find("unexpected reply"), std::string::npos);
  }
}

TEST(ClientSession, StartTlsDiscardsBytesBufferedBeforeTheHandshake) {
  ClientProtocol p(settings(/*starttls=*/true));
  run(p);
  feed(p, "220 mx\r\n");
  Step s = feed(p, "250-mx\r\n250-STARTTLS\r\n250 PIPELINING\r\n");
  EXPECT_EQ(s.sent, "STARTTLS\r\n");
  ASSERT_TRUE(s.is<NeedInput>());
  // A man in the middle appends a forged EHLO reply to the 220 (CVE-2011-0411 class).
  s = feed(p, "220 2.0.0 go ahead\r\n250-evil\r\n250 PIPELINING\r\n");
  ASSERT_TRUE(s.is<StartTls>());
  EXPECT_EQ(s.sent, "");
  p.tls_started();
  s = run(p);
  EXPECT_EQ(s.sent, "EHLO out.example.net\r\n");
  // Were the forged bytes kept, the machine would now be Ready with PIPELINING.
  ASSERT_TRUE(s.is<NeedInput>());
  s = feed(p, "250-mx\r\n250 8BITMIME\r\n");
  ASSERT_TRUE(s.is<Ready>());
  EXPECT_TRUE(p.tls());
  EXPECT_FALSE(p.extensions().pipelining);  // extensions come from the EHLO after TLS only
  EXPECT_TRUE(p.extensions().eight_bit_mime);
  EXPECT_FALSE(p.extensions().starttls);
}

TEST(ClientSession, StartTlsNotUsedWhenDisabled) {
  ClientProtocol p(settings(/*starttls=*/false));
  run(p);
  feed(p, "220 mx\r\n");
  Step s = feed(p, "250-mx\r\n250 STARTTLS\r\n");
  ASSERT_TRUE(s.is<Ready>());
  EXPECT_EQ(s.sent, "");
  EXPECT_FALSE(p.tls());
}

TEST(ClientSession, StartTlsRefusedContinuesInTheClear) {
  ClientProtocol p(settings(true));
  run(p);
  feed(p, "220 mx\r\n");
  feed(p, "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
  Step s = feed(p, "454 4.7.0 TLS not available\r\n");
  ASSERT_TRUE(s.is<Ready>());
  EXPECT_FALSE(p.tls());
  EXPECT_TRUE(p.extensions().pipelining);
}

// A policy requires TLS (RFC 7672 §2.2, RFC 8461 §4.2): no STARTTLS offered, or a refusal, ends
// the session with a temporary failure and QUIT, never a transaction in the clear.
TEST(ClientSession, RequiredTlsNotOfferedFailsTemporarily) {
  ClientSettings cs = settings(true);
  cs.tls_required = true;
  ClientProtocol p(cs);
  run(p);
  feed(p, "220 mx\r\n");
  Step s = feed(p, "250-mx\r\n250 PIPELINING\r\n");
  ASSERT_TRUE(s.is<Failed>());
  EXPECT_EQ(s.sent, "QUIT\r\n");
  const auto& f = s.as<Failed>().failure;
  EXPECT_EQ(f.stage, Stage::starttls);
  EXPECT_TRUE(f.temporary());
  EXPECT_FALSE(f.from_upstream);
  EXPECT_EQ(f.reply.enhanced, "4.7.4");
  EXPECT_NE(f.reply.summary().find("not offered"), std::string::npos);
}

TEST(ClientSession, RequiredTlsRefusedFailsTemporarily) {
  ClientSettings cs = settings(true);
  cs.tls_required = true;
  ClientProtocol p(cs);
  run(p);
  feed(p, "220 mx\r\n");
  feed(p, "250-mx\r\n250 STARTTLS\r\n");
  Step s = feed(p, "454 4.7.0 TLS not available\r\n");
  ASSERT_TRUE(s.is<Failed>());
  EXPECT_EQ(s.sent, "QUIT\r\n");
  EXPECT_EQ(s.as<Failed>().failure.reply.code, 451);
  EXPECT_NE(s.as<Failed>().failure.reply.summary().find("454 4.7.0"), std::string::npos);
}

TEST(ClientSession, RequiredTlsAfterHeloFallbackFails) {
  ClientSettings cs = settings(true);
  cs.tls_required = true;
  ClientProtocol p(cs);
  run(p);
  feed(p, "220 mx\r\n");
  feed(p, "502 5.5.1 no EHLO\r\n");
  Step s = feed(p, "250 mx\r\n");
  ASSERT_TRUE(s.is<Failed>());
  EXPECT_EQ(s.as<Failed>().failure.stage, Stage::starttls);
}

TEST(ClientSession, StartTls421Fails) {
  ClientProtocol p(settings(true));
  run(p);
  feed(p, "220 mx\r\n");
  feed(p, "250-mx\r\n250 STARTTLS\r\n");
  Step s = feed(p, "421 4.3.2 shutting down\r\n");
  ASSERT_TRUE(s.is<Failed>());
  EXPECT_EQ(s.as<Failed>().failure.stage, Stage::starttls);
  EXPECT_EQ(s.sent, "");
}

TEST(ClientSession, TlsHandshakeFailureIsTemporaryAndSilent) {
  ClientProtocol p(settings(true));
  run(p);
  feed(p, "220 mx\r\n");
  feed(p, "250-mx\r\n250 STARTTLS\r\n");
  ASSERT_TRUE(feed(p, "220 go\r\n").is<StartTls>());
  p.tls_failed("wrong version number");
  Step s = run(p);
  ASSERT_TRUE(s.is<Failed>());
  EXPECT_EQ(s.sent, "");  // no QUIT in the clear on a connection in an unknown TLS state
  const auto& f = s.as<Failed>().failure;
  EXPECT_EQ(f.stage, Stage::tls_handshake);
  EXPECT_TRUE(f.temporary());
  EXPECT_FALSE(f.from_upstream);
  EXPECT_NE(f.reply.summary().find("wrong version number"), std::string::npos);
}

TEST(ClientSession, TimeoutsBeforeTheTransactionAreTemporaryConnectionFailures) {
  for (int replies = 0; replies < 2; ++replies) {
    ClientProtocol p(settings());
    run(p);
    if (replies > 0) feed(p, "220 mx\r\n");
    p.timed_out();
    Step s = run(p);
    ASSERT_TRUE(s.is<Failed>());
    const auto& f = s.as<Failed>().failure;
    EXPECT_EQ(f.stage, replies == 0 ? Stage::greeting : Stage::ehlo);
    EXPECT_EQ(f.reply.code, 451);
    EXPECT_EQ(f.reply.enhanced, "4.4.2");
    EXPECT_FALSE(f.from_upstream);
    EXPECT_NE(f.reply.summary().find("mx.dest.example"), std::string::npos);
    EXPECT_EQ(s.sent, "");
  }
}

TEST(ClientSession, ConnectionLostDuringEhlo) {
  ClientProtocol p(settings());
  run(p);
  feed(p, "220 mx\r\n");
  p.connection_lost("connection reset");
  Step s = run(p);
  ASSERT_TRUE(s.is<Failed>());
  EXPECT_EQ(s.as<Failed>().failure.stage, Stage::ehlo);
  EXPECT_NE(s.as<Failed>().failure.reply.summary().find("connection reset"), std::string::npos);
}

TEST(ClientSession, MalformedReplyIsAProtocolError) {
  ClientProtocol p(settings());
  run(p);
  Step s = feed(p, "220-mx\r\n250 different code\r\n");
  ASSERT_TRUE(s.is<Failed>());
  const auto& f = s.as<Failed>().failure;
  EXPECT_EQ(f.reply.code, 451);
  EXPECT_EQ(f.reply.enhanced, "4.5.0");
  EXPECT_EQ(f.stage, Stage::greeting);
  EXPECT_EQ(s.sent, "");
}

TEST(ClientSession, QuitWaitsFor221ThenCloses) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.quit();
  Step s = run(p);
  EXPECT_EQ(s.sent, "QUIT\r\n");
  ASSERT_TRUE(s.is<NeedInput>());
  s = feed(p, "221 2.0.0 bye\r\n");
  EXPECT_TRUE(s.is<client_action::Closed>());
  EXPECT_FALSE(p.usable());
}

TEST(ClientSession, BeginBeforeReadyRefusesTemporarily) {
  ClientProtocol p(settings());
  run(p);  // waiting for the greeting
  p.begin(transaction({"bob"}));
  Step s = run(p);
  ASSERT_TRUE(s.is<client_action::Done>());
  const auto& r = s.as<client_action::Done>().result;
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_TRUE(r.recipients[0].reply.transient());
  EXPECT_EQ(s.sent, "");
  // The session itself goes on.
  s = feed(p, "220 mx\r\n");
  EXPECT_EQ(s.sent, "EHLO out.example.net\r\n");
}

}  // namespace
}  // namespace hikyaku::relay
