// Tests for queue/control_protocol: requests parsed and refused exactly, responses round-trip
// with any bytes in the string fields, malformed responses refused, CR/LF never in a line.
#include <gtest/gtest.h>

#include "queue/control_protocol.hpp"

namespace hikyaku::queue {
namespace {

TEST(ControlProtocol, Requests) {
  ASSERT_TRUE(parse_request("LIST").has_value());
  EXPECT_EQ(parse_request("LIST")->verb, ControlVerb::list);
  EXPECT_EQ(parse_request("FLUSH")->verb, ControlVerb::flush);
  EXPECT_EQ(parse_request("FLUSH\r")->verb, ControlVerb::flush);
  EXPECT_EQ(parse_request("DRAIN")->verb, ControlVerb::drain);
  EXPECT_EQ(parse_request("DRAIN\r")->verb, ControlVerb::drain);
  EXPECT_EQ(render_request(*parse_request("DRAIN")), "DRAIN\n");
  EXPECT_EQ(parse_request("REPORTS")->verb, ControlVerb::reports);
  EXPECT_EQ(render_request(*parse_request("REPORTS")), "REPORTS\n");
  auto d = parse_request("DELETE 0190ABCDEF123.x-y_z");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->verb, ControlVerb::remove);
  EXPECT_EQ(d->queue_id, "0190ABCDEF123.x-y_z");
  for (const ControlRequest& r :
       {*parse_request("LIST"), *parse_request("FLUSH"), *parse_request("DRAIN"), *d}) {
    const std::string line = render_request(r);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(*parse_request(std::string_view(line).substr(0, line.size() - 1)), r);
  }
}

TEST(ControlProtocol, BadRequestsAreRefusedWithAReason) {
  for (const char* bad : {"", "list", "LIST extra", "DELETE", "DELETE a b", "DELETE ../etc/passwd",
                          "DELETE ..", "DELETE tmp.X", "DELETE a/b", "DELETE  x", "FLUSH ", "QUIT",
                          "DRAIN ", "drain", "DRAIN 10m", "DRAIN Q1", "REPORTS x", "reports"}) {
    auto r = parse_request(bad);
    EXPECT_FALSE(r.has_value()) << bad;
    if (!r) {
      EXPECT_FALSE(r.error().empty());
    }
  }
  EXPECT_FALSE(parse_request("DELETE " + std::string(65, 'a')).has_value());
  EXPECT_TRUE(parse_request("DELETE " + std::string(64, 'a')).has_value());
  EXPECT_FALSE(parse_request(std::string(kMaxRequestLine + 1, 'L')).has_value());
}

TEST(ControlProtocol, ResponsesRoundTripAnyBytes) {
  ControlResponse r;
  r.count = 2;
  EntrySummary a;
  a.queue_id = "Q1";
  a.arrival = 1790000000;
  a.sender = "";
  a.recipients = {"a b@x.example", "\"q,\r\n\"@y.example", ""};
  a.attempts = 3;
  a.next_try = 1790000300;
  a.last_error = "mx said: 450 4.2.1 busy\r\nINJECTED 100%";
  a.active = true;
  EntrySummary b;
  b.queue_id = "Q2";
  b.sender = std::string("s\0x@\xff", 5);
  r.entries = {a, b};
  const std::string bytes = render_response(r);
  EXPECT_EQ(std::count(bytes.begin(), bytes.end(), '\n'), 3);  // status + 2 entries
  EXPECT_EQ(bytes.find('\r'), std::string::npos);
  auto back = parse_response(bytes);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, r);

  ControlResponse err;
  err.ok = false;
  err.error = "no such queue id: X\nOK 5";
  auto e = parse_response(render_response(err));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, err);
}

TEST(ControlProtocol, CorruptFilesFollowTheEntries) {
  ControlResponse r;
  r.count = 1;
  EntrySummary a;
  a.queue_id = "Q1";
  r.entries = {a};
  r.corrupt = {{"BROKEN", "checksum mismatch (corrupt or truncated)"}, {"x y\n", "bad\r\nline"}};
  const std::string bytes = render_response(r);
  EXPECT_NE(bytes.find("CORRUPT =BROKEN =checksum%20mismatch"), std::string::npos) << bytes;
  auto back = parse_response(bytes);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, r);
  for (const char* bad : {"OK 0\nCORRUPT =a\n", "OK 0\nCORRUPT a =b\n", "OK 0\nCORRUPT =a =b =c\n",
                          "OK 1\nCORRUPT =a =b\nENTRY Q 1 1 1 0 = 0 =\n"}) {
    EXPECT_FALSE(parse_response(bad).has_value()) << bad;
  }
}

TEST(ControlProtocol, MalformedResponsesAreRefused) {
  for (const char* bad : {"", "OK\n", "OK 1", "OK -1\n", "OK 01\n", "NOPE\n", "ERR %zz\n",
                          "OK 1\nENTRY Q 1 1 1 0 =s 1 =r\n",          // missing error field
                          "OK 1\nENTRY Q 1 1 1 2 =s 0 =e\n",           // active not 0/1
                          "OK 1\nENTRY Q 1 1 1 0 s 0 =e\n",            // field without '='
                          "OK 1\nENTRY ../x 1 1 1 0 =s 0 =e\n",        // bad id
                          "OK 1\nENTRY Q 1 1 1 0 =s 99999999999 =e\n"}) {
    EXPECT_FALSE(parse_response(bad).has_value()) << bad;
  }
  EXPECT_TRUE(parse_response("OK 1\nENTRY Q 1 1 1 0 = 0 =\n").has_value());
}

}  // namespace
}  // namespace hikyaku::queue
