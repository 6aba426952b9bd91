// Mail loops on the outbound side (RFC 5321 §5.1, §6.3): our own listening addresses among the
// next hops (wildcards meaning every local address), an upstream greeting or answering EHLO with
// our own host name, and deliver_to_domain skipping such hosts and failing with 554 5.4.6 when
// only ourselves remain.
#include "relay/loop_detection.hpp"

#include <gtest/gtest.h>

#include "dns/zone_file_resolver.hpp"
#include "fake_smtp_server.hpp"
#include "loopback.hpp"
#include "relay/domain_delivery.hpp"
#include "scripted.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;
namespace ip = asio::ip;

ip::tcp::endpoint ep(const std::string& a, uint16_t port) { return {ip::make_address(a), port}; }

TEST(SelfAddresses, ExplicitListenersMatchAddressAndPort) {
  SelfAddresses self({ep("192.0.2.1", 25), ep("2001:db8::1", 25)}, {});
  EXPECT_TRUE(self.is_self(ep("192.0.2.1", 25)));
  EXPECT_TRUE(self.is_self(ep("::ffff:192.0.2.1", 25)));  // the same IPv4 host
  EXPECT_TRUE(self.is_self(ep("2001:db8::1", 25)));
  EXPECT_FALSE(self.is_self(ep("192.0.2.1", 2525)));  // another port is another service
  EXPECT_FALSE(self.is_self(ep("192.0.2.2", 25)));
  EXPECT_FALSE(self.is_self(ep("127.0.0.1", 25)));
}

TEST(SelfAddresses, WildcardListenersMeanEveryLocalAddressOfTheirFamily) {
  SelfAddresses v4({ep("0.0.0.0", 25)}, {ip::make_address("198.51.100.7"), ip::make_address("2001:db8::7")});
  EXPECT_TRUE(v4.is_self(ep("198.51.100.7", 25)));
  EXPECT_TRUE(v4.is_self(ep("127.0.0.1", 25)));
  EXPECT_TRUE(v4.is_self(ep("127.0.0.99", 25)));  // the whole loopback range is local
  EXPECT_FALSE(v4.is_self(ep("198.51.100.8", 25)));
  EXPECT_FALSE(v4.is_self(ep("2001:db8::7", 25)));  // IPv4 wildcard, IPv6 destination
  EXPECT_FALSE(v4.is_self(ep("198.51.100.7", 26)));
  SelfAddresses v6({ep("::", 25)}, {ip::make_address("198.51.100.7"), ip::make_address("2001:db8::7")});
  EXPECT_TRUE(v6.is_self(ep("2001:db8::7", 25)));
  EXPECT_TRUE(v6.is_self(ep("::1", 25)));
  EXPECT_FALSE(v6.is_self(ep("198.51.100.7", 25)));  // our IPv6 listeners are v6-only
}

TEST(SelfAddresses, FromConfigUsesThisHostsInterfaces) {
  // Loopback is an interface of every Linux host; a wildcard listener covers it.
  const auto local = interface_addresses();
  EXPECT_NE(std::find(local.begin(), local.end(), ip::make_address("127.0.0.1")), local.end());
  config::ListenAddress any;
  any.host = "0.0.0.0";
  any.port = 2525;
  const auto self = SelfAddresses::of({any});
  EXPECT_TRUE(self->is_self(ep("127.0.0.1", 2525)));
  for (const auto& a : local) {
    if (a.is_v4()) {
      EXPECT_TRUE(self->is_self(ip::tcp::endpoint(a, 2525))) << a.to_string();
    }
  }
  EXPECT_FALSE(self->is_self(ep("192.0.2.200", 2525)));
}

TEST(GreetsAsUs, FirstWordOfTheFirstLineAnyCase) {
  const std::vector<std::string> own{"mx.hikyaku.test", "out.hikyaku.test"};
  const auto r = [](std::string text) { return core::SmtpReply::make(220, "", text); };
  EXPECT_TRUE(greets_as_us(r("mx.hikyaku.test ESMTP Hikyaku"), own));
  EXPECT_TRUE(greets_as_us(r("MX.Hikyaku.TEST. ready"), own));
  EXPECT_TRUE(greets_as_us(r("out.hikyaku.test"), own));
  EXPECT_FALSE(greets_as_us(r("mx.other.test ESMTP mx.hikyaku.test"), own));
  EXPECT_FALSE(greets_as_us(r("mx.hikyaku.test.evil ESMTP"), own));
  EXPECT_FALSE(greets_as_us(r(""), own));
  EXPECT_FALSE(greets_as_us(r("mx.hikyaku.test"), {}));
}

TEST(ClientLoop, GreetingWithOurNameFailsAsALoop) {
  ClientSettings st = settings();
  st.own_names = {"mx.hikyaku.test"};
  ClientProtocol p(st);
  run(p);
  Step s = feed(p, "220 MX.hikyaku.test ESMTP\r\n");
  EXPECT_EQ(s.sent, "QUIT\r\n");  // no EHLO
  ASSERT_TRUE(s.is<client_action::Failed>());
  const auto& f = s.as<client_action::Failed>().failure;
  EXPECT_TRUE(f.loop);
  EXPECT_EQ(f.stage, Stage::greeting);
  EXPECT_EQ(f.reply.code, 554);
  EXPECT_EQ(f.reply.enhanced, "5.4.6");
  EXPECT_NE(f.reply.lines[0].find("MX.hikyaku.test: mail loops back to myself"), std::string::npos);
}

TEST(ClientLoop, EhloReplyWithOurNameFailsAsALoop) {
  ClientSettings st = settings();
  st.own_names = {"mx.hikyaku.test"};
  ClientProtocol p(st);
  run(p);
  Step s = feed(p, "220 proxy.example ESMTP\r\n");
  EXPECT_EQ(s.sent, "EHLO out.example.net\r\n");
  s = feed(p, "250-mx.hikyaku.test\r\n250 PIPELINING\r\n");
  EXPECT_EQ(s.sent, "QUIT\r\n");
  ASSERT_TRUE(s.is<client_action::Failed>());
  EXPECT_TRUE(s.as<client_action::Failed>().failure.loop);
  EXPECT_EQ(s.as<client_action::Failed>().failure.stage, Stage::ehlo);
  // Another name goes on as usual.
  ClientProtocol q(st);
  run(q);
  feed(q, "220 mx.dest.example ESMTP\r\n");
  EXPECT_TRUE(feed(q, "250 mx.dest.example\r\n").is<client_action::Ready>());
}

// loop.example: mx1 (preference 10) on 127.0.0.2, mx2 (20) on 127.0.0.1;
// self.example: only mx on 127.0.0.2; named.example: only mx on 127.0.0.1.
const char* const kZone =
    "$ORIGIN loop.example.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n"
    "@ IN MX 10 mx1\n@ IN MX 20 mx2\nmx1 IN A 127.0.0.2\nmx2 IN A 127.0.0.1\n"
    "$ORIGIN self.example.\n@ IN MX 10 mx\nmx IN A 127.0.0.2\n"
    "$ORIGIN named.example.\n@ IN MX 10 mx\nmx IN A 127.0.0.1\n";

// Runs on `io`, where the scripted server runs too.
DomainOutcome deliver(asio::io_context& io, const std::string& domain, const DomainDeliveryOptions& o) {
  auto zone = dns::ZoneFileResolver::from_text(kZone, "loop.zone");
  EXPECT_TRUE(zone);
  return complete(io, deliver_to_domain(io.get_executor(), *zone, domain, transaction({"bob"}), o));
}

DomainDeliveryOptions options_for(const FakeSmtpServer& server) {
  DomainDeliveryOptions o;
  o.client = fast_options();
  o.client.own_names = {"mx.hikyaku.test"};
  o.port = server.endpoint().port();
  o.family = FamilyPolicy::ipv4_only;
  // We "listen" on 127.0.0.2 at the relay port: mail to that address is mail to ourselves.
  o.self = std::make_shared<const SelfAddresses>(
      std::vector<ip::tcp::endpoint>{ep("127.0.0.2", o.port)}, std::vector<ip::address>{});
  return o;
}

TEST(DomainDeliveryLoops, OwnAddressIsSkippedAndTheNextHostDelivers) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  const auto out = deliver(io, "loop.example", options_for(server));
  EXPECT_TRUE(out.decided.result.all_accepted()) << out.decided.result.recipients[0].reply.summary();
  EXPECT_EQ(out.decided.host, "mx2.loop.example");
  ASSERT_FALSE(out.tried.empty());
  EXPECT_EQ(out.tried[0], "mx1.loop.example [127.0.0.2:" + std::to_string(server.endpoint().port()) +
                              "]: one of our own listening addresses; skipped");
  EXPECT_EQ(server.log().messages.size(), 1u);
}

TEST(DomainDeliveryLoops, OnlyOurselvesLeftFailsPermanently) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  const auto out = deliver(io, "self.example", options_for(server));
  ASSERT_EQ(out.decided.result.recipients.size(), 1u);
  EXPECT_EQ(out.decided.result.recipients[0].reply.summary(),
            "554 5.4.6 mail for self.example loops back to myself");
  EXPECT_EQ(server.log().connections, 0);
}

TEST(DomainDeliveryLoops, UpstreamGreetingWithOurNameIsALoop) {
  asio::io_context io;
  ServerBehavior b;
  b.greeting = "220 mx.hikyaku.test ESMTP Hikyaku";
  FakeSmtpServer server(io, "127.0.0.1", b);
  const auto out = deliver(io, "named.example", options_for(server));
  ASSERT_EQ(out.decided.result.recipients.size(), 1u);
  EXPECT_EQ(out.decided.result.recipients[0].reply.summary(),
            "554 5.4.6 mail for named.example loops back to myself");
  EXPECT_TRUE(server.log().messages.empty());
  // The same host with its own name is an ordinary destination.
  server.behavior().greeting = "220 mx.named.example ESMTP";
  const auto ok = deliver(io, "named.example", options_for(server));
  EXPECT_TRUE(ok.decided.result.all_accepted());
}

TEST(DomainDeliveryLoops, OurselvesAndATemporaryFailureIsTemporary) {
  // mx1 is us, mx2 refuses the connection: the other host may come back, so 4xx, not 554.
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  auto o = options_for(server);
  server.stop();
  const auto out = deliver(io, "loop.example", o);
  ASSERT_EQ(out.decided.result.recipients.size(), 1u);
  EXPECT_TRUE(out.decided.result.all_temporary()) << out.decided.result.recipients[0].reply.summary();
}

}  // namespace
}  // namespace hikyaku::relay
