// The client coroutine against a scripted SMTP server on loopback (127.0.0.1 / ::1, port 0):
// delivery, STARTTLS, fallback to the next address (refused, silent, stalled connect), a server
// closing mid-DATA, connection reuse through the pool (and a dead pooled connection), and the
// egress source address. Timeouts are shrunk to a few hundred milliseconds.
#include "relay/smtp_client.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "fake_smtp_server.hpp"
#include "loopback.hpp"
#include "relay/connection_pool.hpp"
#include "scripted.hpp"

namespace hikyaku::relay {
namespace {

using namespace testing;
using namespace std::chrono_literals;
namespace ip = asio::ip;

const std::string kRaw =
    "From: a@src.example\r\nSubject: dots\r\n\r\n.leading dot\r\n.\r\n..two\r\nend\r\n";

TEST(SmtpClient, DeliversOverLoopbackWithPerRecipientReplies) {
  asio::io_context io;
  ServerBehavior b;
  b.refuse.insert("carol@dest.example");
  FakeSmtpServer server(io, "127.0.0.1", b);
  auto tx = transaction({"bob", "carol"}, kRaw);
  auto out = complete(
      io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()}, tx, fast_options()));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  ASSERT_EQ(out.result.recipients.size(), 2u);
  EXPECT_EQ(out.result.recipients[0].reply.summary(), "250 2.0.0 Ok: queued as Q1");
  EXPECT_EQ(out.result.recipients[1].reply.code, 550);
  EXPECT_EQ(out.result.recipients[1].reply.enhanced, "5.1.1");
  EXPECT_EQ(out.host, "sink.test");
  EXPECT_EQ(out.endpoint, "127.0.0.1:" + std::to_string(server.endpoint().port()));
  EXPECT_FALSE(out.tls);
  EXPECT_FALSE(out.reused);
  EXPECT_TRUE(out.attempts.empty());
  ASSERT_EQ(server.log().messages.size(), 1u);
  EXPECT_EQ(server.log().messages[0], kRaw);  // dot-stuffed on the wire, unstuffed there
  const auto& cmds = server.log().commands;
  ASSERT_GE(cmds.size(), 5u);
  EXPECT_EQ(cmds[0], "EHLO out.example.net");
  EXPECT_EQ(cmds[1], "MAIL FROM:<srs0=ab=cd=src.example=alice@fwd.example.net> SIZE=" +
                         std::to_string(kRaw.size()));
  EXPECT_EQ(cmds[2], "RCPT TO:<bob@dest.example>");
}

TEST(SmtpClient, StartTlsUpgradesTheConnection) {
  asio::io_context io;
  ServerBehavior b;
  b.starttls = true;
  FakeSmtpServer server(io, "127.0.0.1", b);
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}, kRaw), fast_options()));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  EXPECT_TRUE(out.tls);
  EXPECT_TRUE(out.tls_version == "TLSv1.3" || out.tls_version == "TLSv1.2") << out.tls_version;
  EXPECT_TRUE(out.result.all_accepted());
  EXPECT_EQ(server.log().tls_sessions, 1);
  const auto& cmds = server.log().commands;
  ASSERT_GE(cmds.size(), 3u);
  EXPECT_EQ(cmds[1], "STARTTLS");
  EXPECT_EQ(cmds[2], "EHLO out.example.net");  // EHLO again inside TLS
  ASSERT_EQ(server.log().messages.size(), 1u);
  EXPECT_EQ(server.log().messages[0], kRaw);
}

TEST(SmtpClient, VerifiedTlsRefusesASelfSignedCertificateWithoutPlaintextRetry) {
  asio::io_context io;
  ServerBehavior b;
  b.starttls = true;
  FakeSmtpServer server(io, "127.0.0.1", b);
  auto opts = fast_options();
  opts.tls.level = TlsLevel::verify;
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}), opts));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->stage, Stage::tls_handshake);
  EXPECT_TRUE(out.failure->temporary());
  EXPECT_EQ(server.log().connections, 1);
  EXPECT_TRUE(server.log().messages.empty());
  EXPECT_TRUE(out.result.all_temporary());
}

// DANE (RFC 7672 §3.1.1): a DANE-EE "3 1 1" record of the server's key authenticates it, a
// self-signed certificate and another name notwithstanding; the session is counted a success.
TEST(SmtpClient, DaneEeRecordAuthenticatesTheServer) {
  asio::io_context io;
  ServerBehavior b;
  b.starttls = true;
  FakeSmtpServer server(io, "127.0.0.1", b);
  auto opts = fast_options();
  opts.tls.level = TlsLevel::dane;
  opts.tls.tlsa = {dns::TlsaRecord{3, 1, 1, server.spki_sha256()}};
  auto out = complete(io, deliver_to_host(io.get_executor(), "mx.other.test", {server.endpoint()},
                                          transaction({"bob"}, kRaw), opts));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  EXPECT_TRUE(out.tls);
  ASSERT_EQ(out.tls_sessions.size(), 1u);
  EXPECT_TRUE(out.tls_sessions[0].success);
  EXPECT_EQ(out.tls_sessions[0].mx_host, "mx.other.test");
  EXPECT_EQ(server.log().messages.size(), 1u);
}

// A TLSA record that matches nothing: the handshake fails, the failure is a "tlsa-invalid"
// session, and nothing is sent in the clear (RFC 7672 §2.2).
TEST(SmtpClient, DaneMismatchDefersWithoutPlaintext) {
  asio::io_context io;
  ServerBehavior b;
  b.starttls = true;
  FakeSmtpServer server(io, "127.0.0.1", b);
  auto opts = fast_options();
  opts.tls.level = TlsLevel::dane;
  opts.tls.tlsa = {dns::TlsaRecord{3, 1, 1, std::string(32, '\x42')}};
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}), opts));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->stage, Stage::tls_handshake);
  EXPECT_TRUE(out.failure->temporary());
  EXPECT_EQ(server.log().connections, 1);
  EXPECT_TRUE(server.log().messages.empty());
  ASSERT_EQ(out.tls_sessions.size(), 1u);
  EXPECT_FALSE(out.tls_sessions[0].success);
  EXPECT_EQ(out.tls_sessions[0].result_type, "tlsa-invalid");
}

// Mandatory TLS and a server without STARTTLS: a temporary failure, no MAIL in the clear, and a
// "starttls-not-supported" session (RFC 8460 §4.3.1).
TEST(SmtpClient, MandatoryTlsWithoutStartTlsNeverSendsMail) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  auto opts = fast_options();
  opts.tls.level = TlsLevel::encrypt;
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}), opts));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->reply.enhanced, "4.7.4");
  EXPECT_TRUE(out.result.all_temporary());
  for (const auto& c : server.log().commands) EXPECT_NE(c.rfind("MAIL", 0), 0u) << c;
  ASSERT_EQ(out.tls_sessions.size(), 1u);
  EXPECT_EQ(out.tls_sessions[0].result_type, "starttls-not-supported");
}

// MTA-STS testing (RFC 8461 §5): the certificate is checked and the failure recorded, but the
// message is delivered over the TLS that was had.
TEST(SmtpClient, ReportOnlyVerificationDeliversAndRecordsTheFailure) {
  asio::io_context io;
  ServerBehavior b;
  b.starttls = true;
  FakeSmtpServer server(io, "127.0.0.1", b);
  auto opts = fast_options();
  opts.tls.level = TlsLevel::verify;
  opts.tls.report_only = true;
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}, kRaw), opts));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  EXPECT_TRUE(out.tls);
  EXPECT_EQ(server.log().messages.size(), 1u);
  ASSERT_EQ(out.tls_sessions.size(), 1u);
  EXPECT_FALSE(out.tls_sessions[0].success);
  EXPECT_EQ(out.tls_sessions[0].result_type, "certificate-not-trusted");
}

TEST(SmtpClient, FailedOpportunisticHandshakeIsRetriedInTheClear) {
  asio::io_context io;
  ServerBehavior b;
  b.broken_tls = true;
  FakeSmtpServer server(io, "127.0.0.1", b);
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}), fast_options()));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  EXPECT_FALSE(out.tls);
  EXPECT_EQ(server.log().connections, 2);
  ASSERT_EQ(out.attempts.size(), 1u);
  EXPECT_NE(out.attempts[0].find("TLS handshake failed"), std::string::npos) << out.attempts[0];
  EXPECT_EQ(server.log().messages.size(), 1u);
}

TEST(SmtpClient, RefusedAddressMovesToTheNext) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  const std::string dead = can_bind("::1") ? "::1" : "127.0.0.1";
  const auto refused = closed_port(dead);
  auto out =
      complete(io, deliver_to_host(io.get_executor(), "sink.test", {refused, server.endpoint()},
                                   transaction({"bob"}), fast_options()));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  EXPECT_TRUE(out.result.all_accepted());
  ASSERT_EQ(out.attempts.size(), 1u);
  EXPECT_NE(out.attempts[0].find("connection refused"), std::string::npos) << out.attempts[0];
  EXPECT_EQ(out.endpoint, "127.0.0.1:" + std::to_string(server.endpoint().port()));
}

TEST(SmtpClient, Ipv6Loopback) {
  if (!can_bind("::1")) GTEST_SKIP() << "no ::1 here";
  asio::io_context io;
  FakeSmtpServer server(io, "::1", {});
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}), fast_options()));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  EXPECT_EQ(out.endpoint, "[::1]:" + std::to_string(server.endpoint().port()));
  EXPECT_EQ(server.log().peers.at(0), "::1");
}

TEST(SmtpClient, SilentListenerTimesOutAtTheGreetingThenNextAddress) {
  asio::io_context io;
  ServerBehavior silent;
  silent.greet = false;
  FakeSmtpServer mute(io, "127.0.0.1", silent);
  FakeSmtpServer good(io, "127.0.0.1", {});
  const auto start = std::chrono::steady_clock::now();
  auto out = complete(
      io, deliver_to_host(io.get_executor(), "sink.test", {mute.endpoint(), good.endpoint()},
                          transaction({"bob"}), fast_options()));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  EXPECT_TRUE(out.result.all_accepted());
  ASSERT_EQ(out.attempts.size(), 1u);
  EXPECT_NE(out.attempts[0].find("timed out (greeting)"), std::string::npos) << out.attempts[0];
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 3s);
}

asio::awaitable<ConnectionOutcome> connect_and_deliver(asio::any_io_executor ex,
                                                       ip::tcp::endpoint ep, ClientOptions opts,
                                                       OutboundTransaction tx) {
  // (Built by the caller: GCC 12 miscompiles a braced list of string literals in a coroutine.)
  ConnectResult c = co_await connect_to(ex, "sink.test", ep, opts);
  if (!c.connection) co_return ConnectionOutcome{};
  ConnectionOutcome out = co_await deliver_over(*c.connection, std::move(tx));
  co_return out;
}

TEST(SmtpClient, DeliverOverSilentConnectionIsATemporaryGreetingFailure) {
  asio::io_context io;
  ServerBehavior silent;
  silent.greet = false;
  FakeSmtpServer mute(io, "127.0.0.1", silent);
  auto out = complete(io, connect_and_deliver(io.get_executor(), mute.endpoint(), fast_options(),
                                              transaction({"bob", "carol"})));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->stage, Stage::greeting);
  EXPECT_TRUE(out.failure->temporary());
  EXPECT_EQ(out.result.recipients.size(), 2u);
  EXPECT_TRUE(out.result.all_temporary());
}

TEST(SmtpClient, TricklingServerStillMeetsOneDeadlinePerReply) {
  asio::io_context io;
  ServerBehavior b;
  b.trickle = true;  // a new greeting line every 100 ms: every read succeeds, the reply never ends
  FakeSmtpServer slow(io, "127.0.0.1", b);
  const auto start = std::chrono::steady_clock::now();
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {slow.endpoint()},
                                          transaction({"bob"}), fast_options()));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->stage, Stage::greeting);
  EXPECT_NE(out.failure->reply.summary().find("timed out"), std::string::npos);
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 1500ms);
}

TEST(SmtpClient, StalledConnectTimesOutThenNextAddress) {
  asio::io_context io;
  // A listener that never accepts, its backlog filled: further SYNs go unanswered.
  ip::tcp::acceptor stalled(io);
  stalled.open(ip::tcp::v4());
  stalled.bind(ip::tcp::endpoint(ip::make_address("127.0.0.1"), 0));
  stalled.listen(0);
  struct Fd {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ~Fd() {
      if (fd >= 0) ::close(fd);
    }
  };
  std::vector<std::unique_ptr<Fd>> fillers;
  bool stalls = false;
  const auto target = stalled.local_endpoint();
  for (int i = 0; i < 8 && !stalls; ++i) {
    auto f = std::make_unique<Fd>();
    ASSERT_GE(f->fd, 0);
    const int rc = ::connect(f->fd, reinterpret_cast<const sockaddr*>(target.data()),
                             static_cast<socklen_t>(target.size()));
    if (rc != 0 && errno == EINPROGRESS) {
      // Still pending after a moment: this connect is stalled.
      ::pollfd pfd{f->fd, POLLOUT, 0};
      stalls = ::poll(&pfd, 1, 100) == 0;
    }
    fillers.push_back(std::move(f));
  }
  if (!stalls) GTEST_SKIP() << "this kernel completes connects to a full backlog";
  FakeSmtpServer good(io, "127.0.0.1", {});
  auto opts = fast_options();
  opts.connect_timeout = 300ms;
  auto out = complete(
      io, deliver_to_host(io.get_executor(), "sink.test",
                          {stalled.local_endpoint(), good.endpoint()}, transaction({"bob"}), opts));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  ASSERT_EQ(out.attempts.size(), 1u);
  EXPECT_NE(out.attempts[0].find("connect timeout"), std::string::npos) << out.attempts[0];
}

TEST(SmtpClient, ServerClosingMidDataIsATemporaryFailure) {
  asio::io_context io;
  ServerBehavior b;
  b.close_mid_data = true;
  FakeSmtpServer server(io, "127.0.0.1", b);
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob", "carol"}, kRaw), fast_options()));
  EXPECT_FALSE(out.failure);  // the transaction had started: a transaction result
  ASSERT_EQ(out.result.recipients.size(), 2u);
  EXPECT_TRUE(out.result.all_temporary());
  EXPECT_FALSE(out.result.recipients[0].from_upstream);
  EXPECT_FALSE(out.result.data_reply.has_value());
  EXPECT_TRUE(server.log().messages.empty());
}

TEST(SmtpClient, PoolReusesTheConnectionWithRset) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  ConnectionPool pool;
  const auto opts = fast_options();
  auto first = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                            transaction({"bob"}), opts, &pool));
  ASSERT_FALSE(first.failure);
  EXPECT_FALSE(first.reused);
  EXPECT_EQ(pool.size(), 1u);
  auto second = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                             transaction({"carol"}), opts, &pool));
  ASSERT_FALSE(second.failure) << second.failure->reply.summary();
  EXPECT_TRUE(second.reused);
  EXPECT_TRUE(second.result.all_accepted());
  EXPECT_EQ(second.result.recipients[0].reply.summary(), "250 2.0.0 Ok: queued as Q2");
  EXPECT_EQ(server.log().connections, 1);
  EXPECT_EQ(server.log().messages.size(), 2u);
  const auto& cmds = server.log().commands;
  EXPECT_EQ(std::count(cmds.begin(), cmds.end(), "RSET"), 1);
  EXPECT_EQ(std::count(cmds.begin(), cmds.end(), "EHLO out.example.net"), 1);
  pool.stop();
  io.run_for(50ms);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(server.log().commands.back(), "QUIT");
}

TEST(SmtpClient, DeadPooledConnectionIsReplacedByAFreshOne) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  ConnectionPool pool;
  const auto opts = fast_options();
  complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                               transaction({"bob"}), opts, &pool));
  ASSERT_EQ(pool.size(), 1u);
  server.kick();  // the server drops the idle connection
  io.run_for(20ms);
  auto second = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                             transaction({"carol"}), opts, &pool));
  ASSERT_FALSE(second.failure) << second.failure->reply.summary();
  EXPECT_FALSE(second.reused);
  EXPECT_TRUE(second.result.all_accepted());
  EXPECT_EQ(server.log().connections, 2);
  EXPECT_EQ(server.log().messages.size(), 2u);
}

TEST(SmtpClient, BindsTheConfiguredSourceAddress) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  // 127.0.0.2 tells a bound source from the default one; fall back where it is missing.
  const std::string source = can_bind("127.0.0.2") ? "127.0.0.2" : "127.0.0.1";
  auto opts = fast_options();
  // ::1 is not used for an IPv4 destination.
  opts.sources = std::make_shared<SourceAddresses>(
      std::vector<ip::address_v4>{ip::make_address_v4(source)},
      std::vector<ip::address_v6>{ip::make_address_v6("::1")});
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}), opts));
  ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  ASSERT_EQ(server.log().peers.size(), 1u);
  EXPECT_EQ(server.log().peers[0], source);
}

// Every configured egress address of the family is used, in turn, connection by connection
// (127.0.0.x addresses are all on the loopback interface and can be bound).
TEST(SmtpClient, SourceAddressesAreUsedRoundRobin) {
  if (!can_bind("127.0.0.2") || !can_bind("127.0.0.3")) GTEST_SKIP() << "127.0.0.2/3 missing";
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  auto opts = fast_options();
  opts.sources = SourceAddresses::parse({"127.0.0.2", "127.0.0.3", "127.0.0.4"}, {});
  for (int i = 0; i < 4; ++i) {
    auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                            transaction({"bob"}), opts));
    ASSERT_FALSE(out.failure) << out.failure->reply.summary();
  }
  EXPECT_EQ(server.log().peers,
            (std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.2"}));
}

TEST(SourceAddresses, RoundRobinByFamily) {
  auto s = SourceAddresses::parse({"192.0.2.1", "192.0.2.2"},
                                             {"2001:db8::1", "2001:db8::2", "2001:db8::3"});
  const auto v4 = ip::make_address("198.51.100.9");
  const auto v6 = ip::make_address("2001:db8:ffff::9");
  const auto mapped = ip::make_address("::ffff:198.51.100.9");
  EXPECT_EQ(s->next_for(v4)->to_string(), "192.0.2.1");
  EXPECT_EQ(s->next_for(v6)->to_string(), "2001:db8::1");
  EXPECT_EQ(s->next_for(mapped)->to_string(), "192.0.2.2");  // an IPv4 host: an IPv4 source
  EXPECT_EQ(s->next_for(v6)->to_string(), "2001:db8::2");
  EXPECT_EQ(s->next_for(v4)->to_string(), "192.0.2.1");
  EXPECT_EQ(s->next_for(v6)->to_string(), "2001:db8::3");
  EXPECT_EQ(s->next_for(v6)->to_string(), "2001:db8::1");
  auto only_v4 = SourceAddresses::parse({"192.0.2.1"}, {});
  EXPECT_FALSE(only_v4->next_for(v6).has_value());
  EXPECT_EQ(only_v4->next_for(v4)->to_string(), "192.0.2.1");
  EXPECT_EQ(only_v4->next_for(v4)->to_string(), "192.0.2.1");
}

TEST(SourceAddresses, FromRelayConfigKeepsEveryAddress) {
  config::RelayConfig relay;
  relay.source_ipv4 = {"192.0.2.1", "192.0.2.2"};
  relay.source_ipv6 = {"2001:db8::1"};
  const auto opts = ClientOptions::from(relay);
  ASSERT_TRUE(opts.sources);
  EXPECT_EQ(opts.sources->ipv4().size(), 2u);
  EXPECT_EQ(opts.sources->ipv6().size(), 1u);
}

TEST(SmtpClient, UnbindableSourceAddressIsAConnectFailure) {
  asio::io_context io;
  FakeSmtpServer server(io, "127.0.0.1", {});
  auto opts = fast_options();
  // Not on this host: bind fails.
  opts.sources = SourceAddresses::parse({"192.0.2.77"}, {});
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {server.endpoint()},
                                          transaction({"bob"}), opts));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->stage, Stage::connect);
  EXPECT_NE(out.failure->reply.summary().find("cannot bind source address 192.0.2.77"),
            std::string::npos);
  EXPECT_EQ(server.log().connections, 0);
}

TEST(SmtpClient, EveryAddressFailing) {
  asio::io_context io;
  const auto a = closed_port("127.0.0.1");
  const auto b = closed_port("127.0.0.1");
  auto out = complete(io, deliver_to_host(io.get_executor(), "sink.test", {a, b},
                                          transaction({"bob"}), fast_options()));
  ASSERT_TRUE(out.failure);
  EXPECT_EQ(out.failure->stage, Stage::connect);
  EXPECT_TRUE(out.failure->temporary());
  EXPECT_EQ(out.result.recipients.at(0).reply.enhanced, "4.4.1");
  EXPECT_EQ(out.attempts.size(), 1u);  // the first; the last is the outcome itself
  auto none = complete(io, deliver_to_host(io.get_executor(), "sink.test", {}, transaction({"bob"}),
                                           fast_options()));
  ASSERT_TRUE(none.failure);
  EXPECT_TRUE(none.failure->temporary());
}

}  // namespace
}  // namespace hikyaku::relay
