// Unit tests for app/log_event and app/log_sinks: each line shape the relay writes becomes the
// expected event, id and typed fields; JSON lines parse back; journal fields are well-formed.
#include "app/log_event.hpp"

#include <cstdio>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "app/log_sinks.hpp"

namespace hikyaku::app {
namespace {

using nlohmann::json;

json as_json(std::string_view message) {
  const std::string line = render_json(parse_log_line(message), "2026-11-22T16:02:05.123Z", "info", 42, message);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  return json::parse(line);
}

struct Shape {
  const char* line;
  const char* event;
  const char* id;
};

TEST(LogEvent, EventAndIdFromEachLineShape) {
  const Shape shapes[] = {
      {"0A1B2C3D4E5F: connect from [192.0.2.7]:40123", "connect", "0A1B2C3D4E5F"},
      {"0A1B2C3D4E5F: disconnect from [192.0.2.7] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5(ok)",
       "disconnect", "0A1B2C3D4E5F"},
      {"0A1B2C3D4E5F: reject: CONNECT from [192.0.2.7]: 554 5.7.1 listed", "reject", "0A1B2C3D4E5F"},
      {"0A1B2C3D4E5F.1: reject: RCPT from [192.0.2.7]: 550 5.1.1 no such user; from=<a@b.example> "
       "to=<x@c.example> helo=<h.example>",
       "reject", "0A1B2C3D4E5F.1"},
      {"0A1B2C3D4E5F.1: rcpt=<info@c.example> action=forward rule to=alice@d.example,bob@e.example", "rcpt",
       "0A1B2C3D4E5F.1"},
      {"0A1B2C3D4E5F.1: client=[192.0.2.7] from=<a@b.example> to=<info@c.example> message-id=<m@b> size=312 "
       "tls=no status=sent reply=\"250 2.0.0 Ok: queued as X\" delay=0.012s",
       "outcome", "0A1B2C3D4E5F.1"},
      {"0A1B2C3D4E5F.1: sender=<SRS0=x=yy=b.example=a@fwd.example> to=<alice@d.example> domain=d.example "
       "relay=mx.d.example[127.0.0.1]:2526 tls=TLSv1.3 reused=no reply=\"250 2.0.0 Ok\"",
       "delivery", "0A1B2C3D4E5F.1"},
      {"0A1B2C3D4E5F.1: domain=d.example tried mx.d.example[127.0.0.1]:2526: 421 busy", "attempt",
       "0A1B2C3D4E5F.1"},
      {"0A1B2C3D4E5F: TLS established with [192.0.2.7]: TLSv1.3 TLS_AES_256_GCM_SHA384", "tls", "0A1B2C3D4E5F"},
      {"0A1B2C3D4E5F.2: to=<bob@e.example> relay=mx.e.example status=deferred (451 4.7.1 try later)",
       "delivery", "0A1B2C3D4E5F.2"},
      {"0A1B2C3D4E5F.2: removed from the queue (every recipient done)", "queue", "0A1B2C3D4E5F.2"},
      {"0193A5B6C7D8E00010ABC: DSN 0193A5B6C7D8E00020DEF queued to <a@b.example> for 1 recipient(s)", "queue",
       "0193A5B6C7D8E00010ABC"},
      {"queue: flush: 2 entries due now", "queue", ""},
      {"SIGHUP: reloading /etc/hikyaku/hikyaku.toml", "log", ""},
      {"listening on 127.0.0.1:25", "log", ""},
      {"0a1b2c3d4e5f: lower-case hex is not an id", "log", ""},
      {"0A1B2C3D4E5: eleven digits are not an id", "log", ""},
      {"0A1B2C3D4E5F.x: a bad transaction number is not an id", "log", ""},
  };
  for (const auto& s : shapes) {
    const LogEvent e = parse_log_line(s.line);
    EXPECT_EQ(e.event, s.event) << s.line;
    EXPECT_EQ(e.id, s.id) << s.line;
  }
}

TEST(LogEvent, OutcomeFieldsAreTyped) {
  const json j = as_json(
      "0A1B2C3D4E5F.1: client=[2001:db8::7] from=<a@b.example> to=<info@c.example>,<sales@c.example> "
      "message-id=<m@b> size=312 tls=TLSv1.3 status=deferred reply=\"451 4.3.0 upstream \\\"busy\\\"\" "
      "delay=1.250s");
  EXPECT_EQ(j["time"], "2026-11-22T16:02:05.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["pid"], 42);
  EXPECT_EQ(j["event"], "outcome");
  EXPECT_EQ(j["id"], "0A1B2C3D4E5F.1");
  EXPECT_EQ(j["client"], "2001:db8::7");
  EXPECT_EQ(j["from"], "a@b.example");
  EXPECT_EQ(j["to"], json::array({"info@c.example", "sales@c.example"}));
  EXPECT_EQ(j["message_id"], "m@b");
  EXPECT_EQ(j["size"], 312);
  EXPECT_EQ(j["tls"], "TLSv1.3");
  EXPECT_EQ(j["status"], "deferred");
  EXPECT_EQ(j["reply"], "451 4.3.0 upstream \"busy\"");
  EXPECT_EQ(j["reply_code"], 451);
  EXPECT_EQ(j["reply_enhanced"], "4.3.0");
  EXPECT_DOUBLE_EQ(j["delay"].get<double>(), 1.25);
  EXPECT_TRUE(j["message"].get<std::string>().starts_with("0A1B2C3D4E5F.1: client=[2001:db8::7]"));
}

TEST(LogEvent, DeliveryAndQueueFields) {
  const json d = as_json(
      "0A1B2C3D4E5F.1: sender=<SRS0=x=yy=b.example=a@fwd.example> to=<alice@d.example> domain=d.example "
      "relay=mx.d.example[127.0.0.1]:2526 tls=no reused=yes reply=\"250 2.0.0 Ok: queued as 4Q\" maybe_delivered=yes");
  EXPECT_EQ(d["sender"], "SRS0=x=yy=b.example=a@fwd.example");
  EXPECT_EQ(d["to"], json::array({"alice@d.example"}));
  EXPECT_EQ(d["relay"], "mx.d.example[127.0.0.1]:2526");
  EXPECT_EQ(d["reused"], "yes");
  EXPECT_EQ(d["reply_code"], 250);
  EXPECT_EQ(d["reply_enhanced"], "2.0.0");
  EXPECT_EQ(d["maybe_delivered"], "yes");

  const json q = as_json("0A1B2C3D4E5F.2: to=<bob@e.example> relay=mx.e.example status=bounced (550 5.1.1 no such user)");
  EXPECT_EQ(q["event"], "delivery");
  EXPECT_EQ(q["status"], "bounced");
  EXPECT_EQ(q["reply"], "550 5.1.1 no such user");
  EXPECT_EQ(q["reply_code"], 550);
  EXPECT_EQ(q["reply_enhanced"], "5.1.1");

  const json r = as_json("0A1B2C3D4E5F.1: rcpt=<info@c.example> action=forward rule to=alice@d.example,bob@e.example");
  EXPECT_EQ(r["rcpt"], "info@c.example");
  EXPECT_EQ(r["action"], "forward");
  EXPECT_EQ(r["to"], json::array({"alice@d.example", "bob@e.example"}));

  const json x = as_json(
      "0A1B2C3D4E5F.1: reject: RCPT from [192.0.2.7]: 550 5.1.1 <x@c.example>: User unknown; "
      "from=<a@b.example> to=<x@c.example> helo=<h.example>");
  EXPECT_EQ(x["reply"], "550 5.1.1 <x@c.example>: User unknown");
  EXPECT_EQ(x["reply_code"], 550);
  EXPECT_EQ(x["reply_enhanced"], "5.1.1");
  EXPECT_EQ(x["from"], "a@b.example");
  EXPECT_EQ(x["to"], json::array({"x@c.example"}));
  EXPECT_EQ(x["helo"], "h.example");
  const json b = as_json("0A1B2C3D4E5F: reject: CONNECT from [192.0.2.7]: 554 5.7.1 listed");
  EXPECT_EQ(b["reply_code"], 554);

  const json a = as_json(
      "0A1B2C3D4E5F.1: auth spf=pass (smtp.mailfrom=a@b.example) helo=none dkim=pass (d=b.example s=s1) "
      "dkim=fail (d=x.example s=s2: body hash (bh) mismatch) arc=none dmarc=pass (from=b.example p=reject)");
  EXPECT_EQ(a["event"], "auth");
  EXPECT_EQ(a["spf"], "pass");
  EXPECT_EQ(a["spf_helo"], "none");
  EXPECT_FALSE(a.contains("helo"));
  EXPECT_EQ(a["dkim"], "pass,fail");
  EXPECT_EQ(a["arc"], "none");
  EXPECT_EQ(a["dmarc"], "pass");
  for (const char* inside : {"d", "s", "p", "from", "smtp.mailfrom"}) EXPECT_FALSE(a.contains(inside)) << inside;

  const json c = as_json("0A1B2C3D4E5F: connect from [192.0.2.7]:40123");
  EXPECT_EQ(c["client"], "192.0.2.7");
}

TEST(LogEvent, HostileTextStaysOneValidLine) {
  // Control bytes, quotes, backslashes and invalid UTF-8 from a peer must not break the object.
  const std::string nasty = std::string("0A1B2C3D4E5F: reject: RCPT from [192.0.2.7]: 550 x; from=<\"a b\\\"") +
                            "\x01\xff\xfe" + "\"@x> to=<y@z> helo=<h\"e\\l\tlo>";
  const json j = as_json(nasty);
  EXPECT_EQ(j["event"], "reject");
  EXPECT_EQ(j["client"], "192.0.2.7");
  EXPECT_TRUE(j.contains("helo"));
  // A key=value in the text never replaces the names every object has (found by fuzz_log_event).
  const json r = as_json("0A1B2C3D4E5F.1: tried x event=0.012s id=X level=error time=0 pid=0 message=m status=sent");
  EXPECT_EQ(r["event"], "log");
  EXPECT_EQ(r["id"], "0A1B2C3D4E5F.1");
  EXPECT_EQ(r["level"], "info");
  EXPECT_EQ(r["pid"], 42);
  EXPECT_EQ(r["status"], "sent");
  EXPECT_TRUE(r["message"].get<std::string>().starts_with("0A1B2C3D4E5F.1: tried"));
  // Keys of 32 characters at most (HIKYAKU_<KEY> within journald's 64-character names).
  const std::string k31(31, 'k'), k32(32, 'k'), k33(33, 'k');
  const LogEvent keys = parse_log_line(k31 + "=a " + k32 + "=b " + k33 + "=c");
  EXPECT_NE(keys.find(k31), nullptr);
  EXPECT_NE(keys.find(k32), nullptr);
  EXPECT_EQ(keys.find(k33), nullptr);
  EXPECT_EQ(keys.fields.size(), 2u);
  // Unterminated quotes and brackets end at the line's end, not past it.
  for (const char* s : {"0A1B2C3D4E5F: reply=\"unterminated", "0A1B2C3D4E5F: from=<open", "0A1B2C3D4E5F: client=[",
                        "=", "a=", "==", "", " ", "0A1B2C3D4E5F: ", "0A1B2C3D4E5F:"}) {
    const json k = as_json(s);
    EXPECT_EQ(k["message"], s);
  }
}

TEST(LogEvent, JournalFields) {
  const LogEvent e = parse_log_line("0A1B2C3D4E5F.1: client=[192.0.2.7] message-id=<m@b> status=sent");
  const auto fields = journal_fields(e, 6, "0A1B2C3D4E5F.1: client=[192.0.2.7] message-id=<m@b> status=sent");
  const std::vector<std::string> want = {
      "MESSAGE=0A1B2C3D4E5F.1: client=[192.0.2.7] message-id=<m@b> status=sent",
      "PRIORITY=6",
      "SYSLOG_IDENTIFIER=hikyaku",
      "MESSAGE_ID=8429d196496148e588f23fc0a7494213",
      "HIKYAKU_EVENT=outcome",
      "HIKYAKU_ID=0A1B2C3D4E5F.1",
      "HIKYAKU_CLIENT=192.0.2.7",
      "HIKYAKU_MESSAGE_ID=m@b",
      "HIKYAKU_STATUS=sent",
  };
  EXPECT_EQ(fields, want);
  // Every event has its own MESSAGE_ID.
  std::set<std::string_view> ids;
  for (const char* ev :
       {"connect", "disconnect", "reject", "rcpt", "auth", "outcome", "delivery", "attempt", "tls", "queue", "log"}) {
    EXPECT_EQ(journal_message_id(ev).size(), 32u);
    ids.insert(journal_message_id(ev));
  }
  EXPECT_EQ(ids.size(), 11u);
}

TEST(LogSinks, JsonSinkWritesOneObjectPerCall) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  spdlog::logger logger("t", std::make_shared<JsonSink>(out));
  logger.warn("{}: to=<{}> relay={} status=deferred ({})", "0A1B2C3D4E5F.3", "a@b.example", "mx.b.example",
              "421 4.4.2 timeout");
  logger.error("queue: cannot read the spool: EACCES");
  logger.flush();
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  const auto nl = text.find('\n');
  ASSERT_NE(nl, std::string::npos);
  const json first = json::parse(text.substr(0, nl));
  const json second = json::parse(text.substr(nl + 1));
  EXPECT_EQ(first["level"], "warning");
  EXPECT_EQ(first["event"], "delivery");
  EXPECT_EQ(first["reply_code"], 421);
  EXPECT_EQ(second["level"], "error");
  EXPECT_EQ(second["event"], "queue");
  EXPECT_FALSE(second.contains("id"));
  EXPECT_EQ(first["time"].get<std::string>().size(), std::string("2026-11-22T16:02:05.123Z").size());
}

TEST(LogSinks, JournaldSinkSendsFieldsAndFallsBackToText) {
  std::vector<std::vector<std::string>> sent;
  int result = 0;
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  spdlog::logger logger("t", std::make_shared<JournaldSink>(out, [&](const std::vector<std::string>& f) {
                          sent.push_back(f);
                          return result;
                        }));
  logger.critical("0A1B2C3D4E5F: connect from [192.0.2.7]:1");
  result = -2;  // ENOENT: no journal socket
  logger.info("listening on 127.0.0.1:25");
  logger.flush();
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0][1], "PRIORITY=2");
  EXPECT_EQ(sent[0][3], "MESSAGE_ID=1420004af64544f2b5d81768f8806fba");
  EXPECT_EQ(text.find("0A1B2C3D4E5F"), std::string::npos);  // sent, so not written
  EXPECT_NE(text.find("hikyaku["), std::string::npos);
  EXPECT_NE(text.find("] info: listening on 127.0.0.1:25\n"), std::string::npos);
}

TEST(LogSinks, SyslogPriorities) {
  EXPECT_EQ(syslog_priority(spdlog::level::debug), 7);
  EXPECT_EQ(syslog_priority(spdlog::level::info), 6);
  EXPECT_EQ(syslog_priority(spdlog::level::warn), 4);
  EXPECT_EQ(syslog_priority(spdlog::level::err), 3);
  EXPECT_EQ(syslog_priority(spdlog::level::critical), 2);
}

}  // namespace
}  // namespace hikyaku::app
