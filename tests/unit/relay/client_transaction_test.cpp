// ClientProtocol, transaction part, driven by scripted server bytes: pipelined and one-by-one
// MAIL/RCPT/DATA (RFC 2920 §3.1, RFC 5321 §3.3), SIZE/8BITMIME/SMTPUTF8 checks before MAIL,
// mixed and refused recipients, 4xx/5xx/421/timeouts at every stage, dot-stuffing (§4.5.2),
// and RSET before a second transaction on the same connection.
#include <gtest/gtest.h>

#include "relay/client_protocol.hpp"
#include "scripted.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;
using client_action::Done;
using client_action::NeedInput;
using client_action::Ready;

const std::string kFrom = "MAIL FROM:<srs0=ab=cd=src.example=alice@fwd.example.net>";

std::vector<int> codes(const TransactionResult& r) {
  std::vector<int> out;
  for (const auto& x : r.recipients) out.push_back(x.reply.code);
  return out;
}

TEST(ClientTransaction, PipelinedWithMixedRecipients) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  auto tx = transaction({"bob", "carol", "dave"});
  const size_t size = tx.message->size();
  p.begin(tx);
  Step s = run(p);
  // RFC 2920 §3.1: one group, DATA last.
  EXPECT_EQ(s.sent, kFrom + " SIZE=" + std::to_string(size) +
                        "\r\nRCPT TO:<bob@dest.example>\r\nRCPT TO:<carol@dest.example>\r\n"
                        "RCPT TO:<dave@dest.example>\r\nDATA\r\n");
  EXPECT_EQ(s.send_timeouts.size(), 1u);
  ASSERT_TRUE(s.is<NeedInput>());
  // Replies may arrive in pieces; matched in order.
  s = feed(p, "250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n");
  EXPECT_EQ(s.sent, "");
  s = feed(p, "451 4.2.0 later\r\n354 go ahead\r\n");
  EXPECT_EQ(s.sent, "Subject: hi\r\n\r\nbody\r\n.\r\n");
  ASSERT_TRUE(s.is<NeedInput>());
  EXPECT_EQ(s.as<NeedInput>().timeout, ClientTimeouts{}.final_reply);
  s = feed(p, "250 2.0.0 Ok: queued as 4XyZ\r\n");
  ASSERT_TRUE(s.is<Done>());
  const auto& r = s.as<Done>().result;
  EXPECT_EQ(codes(r), (std::vector<int>{250, 550, 451}));
  EXPECT_EQ(r.recipients[0].recipient.local, "bob");
  EXPECT_EQ(r.recipients[0].reply.summary(), "250 2.0.0 Ok: queued as 4XyZ");
  EXPECT_EQ(r.recipients[1].reply.enhanced, "5.1.1");
  EXPECT_TRUE(r.recipients[1].from_upstream);
  ASSERT_TRUE(r.data_reply.has_value());
  EXPECT_EQ(r.data_reply->lines[0], "Ok: queued as 4XyZ");
  EXPECT_EQ(r.accepted_count(), 1u);
  EXPECT_FALSE(r.all_accepted());
  EXPECT_FALSE(r.maybe_delivered);
  EXPECT_TRUE(p.usable());
}

TEST(ClientTransaction, WithoutPipeliningEachCommandWaitsForItsReply) {
  ClientProtocol p(settings());
  open_session(p, kNoPipelining);
  auto tx = transaction({"bob", "carol"});
  const std::string size = std::to_string(tx.message->size());
  p.begin(tx);
  Step s = run(p);
  EXPECT_EQ(s.sent, kFrom + " SIZE=" + size + "\r\n");
  s = feed(p, "250 ok\r\n");
  EXPECT_EQ(s.sent, "RCPT TO:<bob@dest.example>\r\n");
  EXPECT_EQ(s.as<NeedInput>().timeout, ClientTimeouts{}.rcpt);
  s = feed(p, "250 ok\r\n");
  EXPECT_EQ(s.sent, "RCPT TO:<carol@dest.example>\r\n");
  s = feed(p, "250 ok\r\n");
  EXPECT_EQ(s.sent, "DATA\r\n");
  EXPECT_EQ(s.as<NeedInput>().timeout, ClientTimeouts{}.data);
  s = feed(p, "354 go\r\n");
  EXPECT_EQ(s.sent, "Subject: hi\r\n\r\nbody\r\n.\r\n");
  s = feed(p, "250 queued\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_TRUE(s.as<Done>().result.all_accepted());
}

TEST(ClientTransaction, AllRecipientsRefusedMeansNoData) {
  ClientProtocol p(settings());
  open_session(p, kNoPipelining);
  p.begin(transaction({"bob", "carol"}));
  run(p);
  feed(p, "250 ok\r\n");
  feed(p, "550 5.1.1 no\r\n");
  Step s = feed(p, "551 5.1.6 moved\r\n");
  EXPECT_EQ(s.sent, "");  // no DATA
  ASSERT_TRUE(s.is<Done>());
  const auto& r = s.as<Done>().result;
  EXPECT_EQ(codes(r), (std::vector<int>{550, 551}));
  EXPECT_TRUE(r.all_permanent());
  EXPECT_FALSE(r.data_reply.has_value());
  // The connection stays usable; QUIT ends it.
  p.quit();
  EXPECT_EQ(run(p).sent, "QUIT\r\n");
}

TEST(ClientTransaction, PipelinedAllRefusedAndDataRefused) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}));
  run(p);
  Step s = feed(p, "250 ok\r\n550 5.1.1 no\r\n554 5.5.1 no valid recipients\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_EQ(s.sent, "");
  EXPECT_EQ(codes(s.as<Done>().result), std::vector<int>{550});  // the RCPT refusal decides
}

TEST(ClientTransaction, PipelinedDataAcceptedWithoutRecipientsSendsLoneDot) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}));
  run(p);
  // RFC 2920 §3.1: a server may accept DATA although no RCPT succeeded.
  Step s = feed(p, "250 ok\r\n550 5.1.1 no\r\n354 go\r\n");
  EXPECT_EQ(s.sent, ".\r\n");
  ASSERT_TRUE(s.is<NeedInput>());
  s = feed(p, "554 5.5.1 no valid recipients\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_EQ(codes(s.as<Done>().result), std::vector<int>{550});
  EXPECT_TRUE(p.usable());
}

TEST(ClientTransaction, PipelinedMailRefusedDecidesEveryRecipient) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob", "carol"}));
  run(p);
  Step s = feed(p,
                "553 5.7.1 sender refused\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n"
                "503 5.5.1 need MAIL\r\n");
  ASSERT_TRUE(s.is<Done>());
  for (const auto& r : s.as<Done>().result.recipients) {
    EXPECT_EQ(r.reply.summary(), "553 5.7.1 sender refused");
  }
}

// One stage failing with 4xx or 5xx, non-pipelined: what each recipient ends with.
struct StageCase {
  const char* name;
  std::vector<std::string> replies;  // after EHLO: MAIL, RCPT bob, RCPT carol, DATA, final
  std::vector<int> expected;
  bool data_sent;
};

TEST(ClientTransaction, FailuresAtEveryStage) {
  const StageCase cases[] = {
      {"mail_451", {"451 4.3.0 later\r\n"}, {451, 451}, false},
      {"mail_550", {"550 5.7.1 no\r\n"}, {550, 550}, false},
      {"rcpt_451_and_250",
       {"250 ok\r\n", "451 4.2.1 later\r\n", "250 ok\r\n", "354 go\r\n", "250 ok\r\n"},
       {451, 250},
       true},
      {"rcpt_both_5xx", {"250 ok\r\n", "550 no\r\n", "553 no\r\n"}, {550, 553}, false},
      {"data_451",
       {"250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "451 4.3.0 later\r\n"},
       {451, 451},
       false},
      {"data_554",
       {"250 ok\r\n", "250 ok\r\n", "550 no\r\n", "554 5.3.0 no\r\n"},
       {554, 550},
       false},
      {"final_452",
       {"250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "452 4.3.1 full\r\n"},
       {452, 452},
       true},
      {"final_554",
       {"250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "554 5.7.1 spam\r\n"},
       {554, 554},
       true},
  };
  for (const auto& c : cases) {
    ClientProtocol p(settings());
    open_session(p, kNoPipelining);
    p.begin(transaction({"bob", "carol"}));
    Step s = run(p);
    std::string all_sent = s.sent;
    for (const auto& r : c.replies) {
      ASSERT_TRUE(s.is<NeedInput>()) << c.name;
      s = feed(p, r);
      all_sent += s.sent;
    }
    ASSERT_TRUE(s.is<Done>()) << c.name;
    EXPECT_EQ(codes(s.as<Done>().result), c.expected) << c.name;
    EXPECT_EQ(all_sent.find("body\r\n.\r\n") != std::string::npos, c.data_sent) << c.name;
    EXPECT_TRUE(p.usable()) << c.name;
  }
}

TEST(ClientTransaction, Reply421MidTransactionEndsTheConnection) {
  ClientProtocol p(settings());
  open_session(p, kNoPipelining);
  p.begin(transaction({"bob", "carol"}));
  run(p);
  feed(p, "250 ok\r\n");
  feed(p, "550 5.1.1 no\r\n");
  Step s = feed(p, "421 4.4.2 closing\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_EQ(codes(s.as<Done>().result), (std::vector<int>{550, 421}));
  EXPECT_FALSE(p.usable());
  s = run(p);
  EXPECT_TRUE(s.is<client_action::Closed>());
  EXPECT_EQ(s.sent, "");  // no QUIT to a server that is closing
}

TEST(ClientTransaction, TimeoutWhileWaitingForRcpt) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob", "carol"}));
  run(p);
  feed(p, "250 ok\r\n550 5.1.1 no\r\n");  // carol's reply and DATA's never come
  p.timed_out();
  Step s = run(p);
  ASSERT_TRUE(s.is<Done>());
  const auto& r = s.as<Done>().result;
  EXPECT_EQ(codes(r), (std::vector<int>{550, 451}));
  EXPECT_TRUE(r.recipients[0].from_upstream);
  EXPECT_FALSE(r.recipients[1].from_upstream);
  EXPECT_EQ(r.recipients[1].reply.enhanced, "4.4.2");
  EXPECT_FALSE(r.maybe_delivered);
  EXPECT_FALSE(p.usable());
}

TEST(ClientTransaction, TimeoutAfterTheDotMayHaveDelivered) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}));
  run(p);
  Step s = feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  ASSERT_TRUE(s.sent.ends_with("\r\n.\r\n"));
  p.timed_out();
  s = run(p);
  ASSERT_TRUE(s.is<Done>());
  EXPECT_TRUE(s.as<Done>().result.maybe_delivered);
  EXPECT_TRUE(s.as<Done>().result.all_temporary());
}

TEST(ClientTransaction, ConnectionLostWhileSendingTheBody) {
  ClientSettings st = settings();
  st.body_chunk = 4;
  ClientProtocol p(st);
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}));
  run(p);
  p.feed("250 ok\r\n250 ok\r\n354 go\r\n");
  auto first = p.next();
  ASSERT_TRUE(std::holds_alternative<client_action::Send>(first));
  EXPECT_EQ(std::get<client_action::Send>(first).bytes, "Subj");
  EXPECT_EQ(std::get<client_action::Send>(first).timeout, ClientTimeouts{}.data_block);
  p.connection_lost("broken pipe");
  Step s = run(p);
  ASSERT_TRUE(s.is<Done>());
  EXPECT_FALSE(s.as<Done>().result.maybe_delivered);
  EXPECT_TRUE(s.as<Done>().result.all_temporary());
  EXPECT_EQ(s.sent, "");  // nothing more is written
}

TEST(ClientTransaction, ReplyToDataThatIs2xxIsAProtocolError) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}));
  run(p);
  Step s = feed(p, "250 ok\r\n250 ok\r\n250 ok?\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_EQ(s.as<Done>().result.recipients[0].reply.enhanced, "4.5.0");
  EXPECT_FALSE(p.usable());
}

TEST(ClientTransaction, IntermediateRepliesToMailOrRcptNeverCountAsAccepted) {
  for (const char* script : {"354 go\r\n", "250 ok\r\n354 go\r\n"}) {
    ClientProtocol p(settings());
    open_session(p, kFullEsmtp);
    p.begin(transaction({"bob"}));
    run(p);
    Step s = feed(p, script);
    ASSERT_TRUE(s.is<Done>()) << script;
    const auto& r = s.as<Done>().result;
    EXPECT_EQ(r.accepted_count(), 0u) << script;
    EXPECT_EQ(r.recipients[0].reply.code, 451) << script;
    EXPECT_EQ(r.recipients[0].reply.enhanced, "4.5.0") << script;
    EXPECT_FALSE(p.usable());
  }
}

TEST(ClientTransaction, SizeRefusedBeforeMailAtTheBoundary) {
  for (size_t size : {99u, 100u, 101u}) {
    ClientProtocol p(settings());
    open_session(p, {"PIPELINING", "SIZE 100"});
    p.begin(transaction({"bob"}, std::string(size - 2, 'x') + "\r\n"));
    Step s = run(p);
    if (size <= 100) {
      EXPECT_NE(s.sent.find("SIZE=" + std::to_string(size)), std::string::npos) << size;
      EXPECT_TRUE(s.is<NeedInput>()) << size;
    } else {
      EXPECT_EQ(s.sent, "") << "RFC 1870 §6: nothing is sent";
      ASSERT_TRUE(s.is<Done>());
      const auto& r = s.as<Done>().result.recipients.at(0);
      EXPECT_EQ(r.reply.code, 552);
      EXPECT_EQ(r.reply.enhanced, "5.3.4");
      EXPECT_FALSE(r.from_upstream);
      EXPECT_TRUE(p.usable());
    }
  }
}

TEST(ClientTransaction, EightBitContentNeeds8BitMime) {
  const std::string raw = "Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n";
  {
    ClientProtocol p(settings());
    open_session(p, {"PIPELINING"});
    p.begin(transaction({"bob"}, raw));
    Step s = run(p);
    ASSERT_TRUE(s.is<Done>());
    EXPECT_EQ(s.sent, "");
    EXPECT_EQ(s.as<Done>().result.recipients[0].reply.code, 554);
    EXPECT_EQ(s.as<Done>().result.recipients[0].reply.enhanced, "5.6.3");
  }
  {
    ClientProtocol p(settings());
    open_session(p, {"PIPELINING", "8BITMIME"});
    p.begin(transaction({"bob"}, raw));
    EXPECT_TRUE(run(p).sent.starts_with(kFrom + " BODY=8BITMIME\r\n"));
  }
  {  // 7-bit content needs nothing.
    ClientProtocol p(settings());
    open_session(p, {"PIPELINING"});
    p.begin(transaction({"bob"}));
    EXPECT_TRUE(run(p).sent.starts_with(kFrom + "\r\n"));
  }
}

TEST(ClientTransaction, Utf8SenderNeedsSmtputf8) {
  auto tx = transaction({"bob"});
  tx.mail_from = addr("j\xc3\xb6rg", "src.example", true);
  {
    ClientProtocol p(settings());
    open_session(p, {"PIPELINING", "8BITMIME"});
    p.begin(tx);
    Step s = run(p);
    ASSERT_TRUE(s.is<Done>());
    EXPECT_EQ(s.sent, "");
    EXPECT_EQ(s.as<Done>().result.recipients[0].reply.code, 553);
    EXPECT_EQ(s.as<Done>().result.recipients[0].reply.enhanced, "5.6.7");
  }
  {
    ClientProtocol p(settings());
    open_session(p, {"PIPELINING", "8BITMIME", "SMTPUTF8"});
    p.begin(tx);
    EXPECT_TRUE(run(p).sent.starts_with("MAIL FROM:<j\xc3\xb6rg@src.example> SMTPUTF8\r\n"));
  }
}

TEST(ClientTransaction, Utf8RecipientAloneRefusedWithoutSmtputf8) {
  auto tx = transaction({"bob"});
  tx.recipients.push_back(addr("\xe7\x94\xb0\xe4\xb8\xad", "dest.example", true));
  ClientProtocol p(settings());
  open_session(p, {"PIPELINING"});
  p.begin(tx);
  Step s = run(p);
  EXPECT_EQ(s.sent, kFrom + "\r\nRCPT TO:<bob@dest.example>\r\nDATA\r\n");
  s = feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  s = feed(p, "250 queued\r\n");
  ASSERT_TRUE(s.is<Done>());
  EXPECT_EQ(codes(s.as<Done>().result), (std::vector<int>{250, 553}));
  EXPECT_EQ(s.as<Done>().result.recipients[1].reply.enhanced, "5.6.7");
}

TEST(ClientTransaction, SecondTransactionStartsWithRset) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}));
  run(p);
  feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  ASSERT_TRUE(feed(p, "250 first\r\n").is<Done>());
  ASSERT_TRUE(run(p).is<Ready>());
  p.begin(transaction({"carol"}));
  Step s = run(p);
  EXPECT_EQ(s.sent, "RSET\r\n");
  EXPECT_EQ(s.as<NeedInput>().timeout, ClientTimeouts{}.rset);
  s = feed(p, "250 2.0.0 flushed\r\n");
  EXPECT_TRUE(s.sent.starts_with(kFrom)) << s.sent;
  EXPECT_NE(s.sent.find("RCPT TO:<carol@dest.example>"), std::string::npos);
}

TEST(ClientTransaction, RsetFailureIsAConnectionFailure) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}));
  run(p);
  feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  feed(p, "250 first\r\n");
  p.begin(transaction({"carol"}));
  run(p);
  p.connection_lost("connection closed by the server");  // the idle connection had died
  Step s = run(p);
  ASSERT_TRUE(s.is<client_action::Failed>());
  EXPECT_EQ(s.as<client_action::Failed>().failure.stage, Stage::rset);
  EXPECT_TRUE(s.as<client_action::Failed>().failure.temporary());
}

// --- dot-stuffing (RFC 5321 §4.5.2) ---------------------------------------------------------

std::string stuff_all(std::string_view raw, size_t chunk) {
  std::string out;
  bool line_start = true;
  size_t pos = 0;
  while (pos < raw.size()) pos = dot_stuff(raw, pos, chunk, line_start, out);
  return out;
}

TEST(DotStuffing, LinesStartingWithDotGetAnother) {
  const std::string raw = ".first\r\nmid.dle\r\n.\r\n..two\r\n\r\n.\r\nend.\r\n";
  const std::string want = "..first\r\nmid.dle\r\n..\r\n...two\r\n\r\n..\r\nend.\r\n";
  for (size_t chunk : {1u, 2u, 3u, 7u, 1000u}) EXPECT_EQ(stuff_all(raw, chunk), want) << chunk;
}

TEST(DotStuffing, DotAfterBareLfIsStuffedToo) {
  EXPECT_EQ(stuff_all("a\n.\nb\r\n", 100), "a\n..\nb\r\n");
}

TEST(DotStuffing, WholeMessageOnTheWire) {
  ClientSettings st = settings();
  st.body_chunk = 5;
  ClientProtocol p(st);
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}, "Subject: x\r\n\r\n.\r\n.hidden\r\nlast line without CRLF"));
  run(p);
  Step s = feed(p, "250 ok\r\n250 ok\r\n354 go\r\n");
  EXPECT_EQ(s.sent, "Subject: x\r\n\r\n..\r\n..hidden\r\nlast line without CRLF\r\n.\r\n");
  EXPECT_GT(s.send_timeouts.size(), 5u);  // written in chunks, each under the data-block limit
}

TEST(DotStuffing, EmptyMessageIsJustTheDot) {
  ClientProtocol p(settings());
  open_session(p, kFullEsmtp);
  p.begin(transaction({"bob"}, ""));
  run(p);
  EXPECT_EQ(feed(p, "250 ok\r\n250 ok\r\n354 go\r\n").sent, ".\r\n");
}

}  // namespace
}  // namespace hikyaku::relay
