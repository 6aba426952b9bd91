// Loading valid configurations: the shipped conf/hikyaku.toml, the defaults of every absent
// key (config/config.hpp), a file using every key, and how values are normalised.
#include "config/loader.hpp"

#include <gtest/gtest.h>

#include <iterator>

#include "config_test_util.hpp"

namespace hikyaku::config {
namespace {

using namespace std::chrono_literals;
using testing::errors_of;

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

Config load_ok(std::string_view toml) {
  auto loaded = load_string(toml, "t.toml");
  if (!loaded) {
    std::vector<std::string> texts;
    for (const auto& e : loaded.error()) texts.push_back(e.text());
    ADD_FAILURE() << "unexpected errors:\n" << join(texts);
    return Config{};
  }
  return std::move(*loaded);
}

TEST(ConfigShipped, DefaultFileLoadsCleanly) {
  const std::string path = HIKYAKU_SOURCE_DIR "/conf/hikyaku.toml";
  auto loaded = load_file(path);
  std::vector<std::string> texts;
  if (!loaded) {
    for (const auto& e : loaded.error()) texts.push_back(e.text());
  }
  ASSERT_TRUE(loaded.has_value()) << join(texts);
  const Config& c = *loaded;
  EXPECT_EQ(c.source_path, std::filesystem::path(path).lexically_normal().string());
  EXPECT_EQ(c.server.hostname, "localhost");
  ASSERT_EQ(c.server.listen.size(), 2u);
  EXPECT_EQ(c.server.listen[0].text(), "127.0.0.1:2525");
  EXPECT_EQ(c.server.listen[1].text(), "[::1]:2525");
  EXPECT_FALSE(c.server.listen[0].proxy);
  EXPECT_FALSE(c.server.tls.has_value());
  EXPECT_TRUE(c.dns.servers.empty());
  EXPECT_TRUE(c.dkim_keys.empty());
  EXPECT_FALSE(c.arc.enabled);
  EXPECT_EQ(c.queue.directory, "/tmp/hikyaku-spool");
  EXPECT_EQ(c.relay.helo_name, "localhost");
  EXPECT_EQ(c.auth.authserv_id, "localhost");

  ASSERT_EQ(c.domains.size(), 1u);
  const DomainConfig& d = c.domains[0];
  EXPECT_EQ(d.name, "example.com");
  EXPECT_FALSE(d.catch_all.has_value());
  EXPECT_TRUE(d.subaddressing);
  ASSERT_EQ(d.rules.size(), 4u);
  EXPECT_EQ(d.rules[0].address, "info");
  EXPECT_EQ(d.rules[0].target.action, RouteAction::forward);
  EXPECT_EQ(d.rules[0].target.forward_to, std::vector<std::string>{"alice@example.net"});
  EXPECT_EQ(d.rules[1].address, "sales");
  EXPECT_EQ(d.rules[1].target.forward_to.size(), 2u);
  EXPECT_EQ(d.rules[2].address, "noreply");
  EXPECT_EQ(d.rules[2].target.action, RouteAction::drop);
  EXPECT_EQ(d.rules[3].address, "old");
  EXPECT_EQ(d.rules[3].target.action, RouteAction::reject);
  EXPECT_EQ(d.rules[3].target.reply_code, 550);
  EXPECT_NE(d.rules[3].target.reply_text, "5.1.1 Recipient address rejected");  // custom text
  for (const auto& rule : d.rules) EXPECT_GT(rule.line, d.line);
}

TEST(ConfigShipped, EveryKeyTheLoaderKnowsIsDocumented) {
  // Each key name the schema accepts appears in the shipped file (active or commented out).
  std::ifstream in(HIKYAKU_SOURCE_DIR "/conf/hikyaku.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const char* keys[] = {"hostname",
                        "listen",
                        "proxy_listen",
                        "trusted_proxies",
                        "spf_helper_user",
                        "max_message_size",
                        "max_recipients",
                        "max_hops",
                        "max_command_line",
                        "max_text_line",
                        "command_timeout",
                        "data_timeout",
                        "max_connections",
                        "max_connections_per_ip",
                        "max_errors",
                        "shutdown_grace",
                        "proxy_timeout",
                        "tls_handshake_timeout",
                        "user",
                        "[server.tls]",
                        "certificate",
                        "private_key",
                        "[dns]",
                        "servers",
                        "timeout",
                        "cache_entries",
                        "[relay]",
                        "port",
                        "helo_name",
                        "connect_timeout",
                        "commit_timeout",
                        "command_timeout",
                        "data_start_timeout",
                        "data_block_timeout",
                        "final_reply_timeout",
                        "source_ipv4",
                        "source_ipv6",
                        "max_mx_hosts",
                        "max_addresses",
                        "address_family",
                        "ipv4_only",
                        "verify_certificates",
                        "[auth]",
                        "authserv_id",
                        "dmarc_enforce",
                        "quarantine",
                        "trusted_arc_sealers",
                        "dnsbl",
                        "spf_helpers",
                        "spf_timeout",
                        "lookup_timeout",
                        "[srs]",
                        "secrets",
                        "max_age",
                        "bounces_only",
                        "hash_length",
                        "accept_legacy_hash",
                        "max_failed_reversals",
                        "failed_reversal_window",
                        "[from_rewrite]",
                        "reply_max_age",
                        "from_rewrite = \"when-needed\"",
                        "[[dkim.key]]",
                        "selector",
                        "algorithm",
                        "[arc]",
                        "enabled",
                        "[queue]",
                        "directory",
                        "retry_interval",
                        "max_retry_interval",
                        "max_lifetime",
                        "session_budget",
                        "destination_concurrency",
                        "min_free_space",
                        "min_free_inodes",
                        "control_socket",
                        "[metrics]",
                        "[log]",
                        "level",
                        "[[domain]]",
                        "catch_all",
                        "subaddressing",
                        "subaddress_separator",
                        "[[domain.rule]]",
                        "address",
                        "forward",
                        "action",
                        "code",
                        "text"};
  for (const char* key : keys) EXPECT_NE(text.find(key), std::string::npos) << key;
}

TEST(ConfigDefaults, EmptyDocumentGivesTheDefaultsOfConfigHpp) {
  const Config c = load_ok("");
  const Config d;
  EXPECT_EQ(c.source_path, "t.toml");
  EXPECT_EQ(c.server.hostname, "localhost");
  EXPECT_TRUE(c.server.listen.empty());
  EXPECT_EQ(c.server.max_command_line, 512u);
  EXPECT_EQ(c.server.max_text_line, 1000u);
  EXPECT_EQ(c.server.max_message_size, 26214400u);
  EXPECT_EQ(c.server.max_recipients, 100u);
  EXPECT_EQ(c.server.max_hops, 50u);
  EXPECT_EQ(c.server.command_timeout, 5min);
  EXPECT_EQ(c.server.data_timeout, 3min);
  EXPECT_EQ(c.server.max_connections, 1000u);
  EXPECT_EQ(c.server.max_connections_per_ip, 20u);
  EXPECT_EQ(c.server.max_errors, 10u);
  EXPECT_EQ(c.server.shutdown_grace, 30s);
  EXPECT_EQ(c.server.proxy_timeout, 10s);
  EXPECT_EQ(c.server.tls_handshake_timeout, 30s);
  EXPECT_FALSE(c.server.tls.has_value());
  EXPECT_EQ(c.dns.timeout, d.dns.timeout);
  EXPECT_EQ(c.dns.cache_entries, 100000u);
  EXPECT_EQ(c.relay.port, 25);
  EXPECT_EQ(c.relay.helo_name, "localhost");  // defaults to server.hostname
  EXPECT_EQ(c.relay.connect_timeout, 30s);
  EXPECT_EQ(c.auth.authserv_id, "localhost");  // defaults to server.hostname
  EXPECT_TRUE(c.auth.dmarc_enforce);
  EXPECT_TRUE(c.srs.domain.empty());
  EXPECT_EQ(c.srs.max_age, std::chrono::hours(24 * 21));
  EXPECT_FALSE(c.arc.enabled);
  EXPECT_EQ(c.queue.directory, "/var/spool/hikyaku");
  EXPECT_EQ(c.queue.retry_interval, 5min);
  EXPECT_EQ(c.queue.max_lifetime, std::chrono::hours(24 * 5));
  EXPECT_EQ(c.queue.max_retry_interval, std::chrono::hours(1));
  EXPECT_EQ(c.queue.session_budget, std::chrono::minutes(5));
  EXPECT_EQ(c.queue.destination_concurrency, 10u);
  EXPECT_EQ(c.queue.min_free_space, 100u * 1024 * 1024);
  EXPECT_EQ(c.queue.min_free_inodes, 1000u);
  EXPECT_EQ(c.queue.control_socket, "");  // "<directory>/control.sock"
  EXPECT_TRUE(c.metrics.listen.empty());
  EXPECT_EQ(c.log.level, "info");
  EXPECT_TRUE(c.domains.empty());
}

TEST(ConfigDefaults, HeloNameAndAuthservIdFollowHostnameUnlessSet) {
  Config c = load_ok("[server]\nhostname = \"MX1.Example.NET\"\n");
  EXPECT_EQ(c.server.hostname, "mx1.example.net");
  EXPECT_EQ(c.relay.helo_name, "mx1.example.net");
  EXPECT_EQ(c.auth.authserv_id, "mx1.example.net");
  c = load_ok(
      "[server]\nhostname = \"mx1.example.net\"\n[relay]\nhelo_name = \"out.example.net\"\n"
      "[auth]\nauthserv_id = \"auth.example.net\"\n");
  EXPECT_EQ(c.relay.helo_name, "out.example.net");
  EXPECT_EQ(c.auth.authserv_id, "auth.example.net");
}

TEST(ConfigDefaults, DomainAndRuleDefaults) {
  const Config c = load_ok(
      "[[domain]]\n"
      "name = \"example.com\"\n"
      "[[domain.rule]]\n"
      "address = \"gone\"\n"
      "action = \"reject\"\n"
      "[[domain.rule]]\n"
      "address = \"later\"\n"
      "action = \"reject\"\n"
      "code = 450\n");
  ASSERT_EQ(c.domains.size(), 1u);
  const DomainConfig& d = c.domains[0];
  EXPECT_EQ(d.line, 1);
  EXPECT_TRUE(d.subaddressing);
  EXPECT_EQ(d.subaddress_separator, "+");
  EXPECT_FALSE(d.catch_all.has_value());
  ASSERT_EQ(d.rules.size(), 2u);
  EXPECT_EQ(d.rules[0].line, 3);
  EXPECT_EQ(d.rules[0].target.reply_code, 550);
  EXPECT_EQ(d.rules[0].target.reply_text, "5.1.1 Recipient address rejected");
  EXPECT_EQ(d.rules[1].line, 6);
  EXPECT_EQ(d.rules[1].target.reply_code, 450);
  EXPECT_EQ(d.rules[1].target.reply_text, "4.2.0 Recipient temporarily unavailable");
}

TEST(ConfigValues, EveryKeySetAtOnce) {
  const Config c = load_ok(R"(
[server]
hostname = "mx1.example.net"
listen = ["0.0.0.0:25", "[::]:25"]
proxy_listen = ["127.0.0.1:10025", "[0:0::1]:10025"]
trusted_proxies = ["127.0.0.1", "::1", "10.0.0.0/8", "::ffff:192.0.2.0/120"]
max_message_size = 1048576
max_recipients = 50
max_command_line = 2048
max_text_line = 4096
command_timeout = "2m"
data_timeout = "90s"
max_connections = 10
max_connections_per_ip = 2
max_errors = 3
shutdown_grace = "0s"
proxy_timeout = "1500ms"
tls_handshake_timeout = "20s"
[dns]
servers = ["127.0.0.1:5353", "[::1]:53", "192.0.2.53", "2001:db8::53", "[2001:db8::54]"]
timeout = "2s"
cache_entries = 0
[relay]
port = 2526
helo_name = "out.example.net"
connect_timeout = "5s"
source_ipv4 = ["192.0.2.10"]
source_ipv6 = ["2001:db8::10"]
[auth]
authserv_id = "mx.example.net"
dmarc_enforce = false
quarantine = "reject"
trusted_arc_sealers = ["Lists.Example.ORG"]
dnsbl = ["zen.spamhaus.org"]
spf_helpers = 4
spf_timeout = "5s"
lookup_timeout = "12s"
[srs]
domain = "fwd.example.net"
secrets = ["current", "previous"]
max_age = "10d"
[arc]
enabled = false
domain = "fwd.example.net"
selector = "arc2026"
[queue]
directory = "/var/spool/hk"
retry_interval = "1m"
max_retry_interval = "30m"
max_lifetime = "2d"
session_budget = "3m"
destination_concurrency = 4
control_socket = "/run/hk.sock"
[metrics]
listen = "127.0.0.1:9725"
[log]
level = "debug"
[[domain]]
name = "example.com"
catch_all = { action = "forward", to = ["postmaster@example.net"] }
subaddressing = false
subaddress_separator = "+-"
[[domain.rule]]
address = "Info"
action = "forward"
forward = ["alice@dest.example", "bob@other.example"]
[[domain]]
name = "example.org"
catch_all = { action = "reject", code = 551, text = "5.1.6 Moved" }
dmarc_enforce = true
quarantine = "forward"
[[domain]]
name = "example.info"
catch_all = { action = "drop" }
)");
  EXPECT_EQ(c.server.hostname, "mx1.example.net");
  ASSERT_EQ(c.server.listen.size(), 4u);
  EXPECT_EQ(c.server.listen[0].host, "0.0.0.0");
  EXPECT_EQ(c.server.listen[0].port, 25);
  EXPECT_FALSE(c.server.listen[0].proxy);
  EXPECT_EQ(c.server.listen[1].text(), "[::]:25");
  EXPECT_TRUE(c.server.listen[2].proxy);
  EXPECT_EQ(c.server.listen[2].text(), "127.0.0.1:10025");
  EXPECT_EQ(c.server.listen[3].host, "::1");  // canonical form
  EXPECT_TRUE(c.server.listen[3].proxy);
  ASSERT_EQ(c.server.trusted_proxies.size(), 4u);
  EXPECT_EQ(c.server.trusted_proxies[0].to_string(), "127.0.0.1/32");
  EXPECT_EQ(c.server.trusted_proxies[1].to_string(), "::1/128");
  EXPECT_EQ(c.server.trusted_proxies[2].to_string(), "10.0.0.0/8");
  EXPECT_EQ(c.server.trusted_proxies[3].to_string(), "192.0.2.0/24");  // the IPv4 it maps
  EXPECT_EQ(c.server.max_message_size, 1048576u);
  EXPECT_EQ(c.server.max_recipients, 50u);
  EXPECT_EQ(c.server.max_command_line, 2048u);
  EXPECT_EQ(c.server.max_text_line, 4096u);
  EXPECT_EQ(c.server.command_timeout, 2min);
  EXPECT_EQ(c.server.data_timeout, 90s);
  EXPECT_EQ(c.server.max_connections, 10u);
  EXPECT_EQ(c.server.max_connections_per_ip, 2u);
  EXPECT_EQ(c.server.max_errors, 3u);
  EXPECT_EQ(c.server.shutdown_grace, 0ms);
  EXPECT_EQ(c.server.proxy_timeout, 1500ms);
  EXPECT_EQ(c.server.tls_handshake_timeout, 20s);
  // Without ":PORT" a server is on port 53, as in resolv.conf.
  EXPECT_EQ(c.dns.servers, (std::vector<std::string>{"127.0.0.1:5353", "[::1]:53", "192.0.2.53:53",
                                                      "[2001:db8::53]:53", "[2001:db8::54]:53"}));
  EXPECT_EQ(c.dns.timeout, 2s);
  EXPECT_EQ(c.dns.cache_entries, 0u);
  EXPECT_EQ(c.relay.port, 2526);
  EXPECT_EQ(c.relay.helo_name, "out.example.net");
  EXPECT_EQ(c.relay.connect_timeout, 5s);
  EXPECT_EQ(c.relay.source_ipv4, std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(c.relay.source_ipv6, std::vector<std::string>{"2001:db8::10"});
  EXPECT_EQ(c.auth.authserv_id, "mx.example.net");
  EXPECT_FALSE(c.auth.dmarc_enforce);
  EXPECT_EQ(c.auth.quarantine, QuarantineAction::reject);
  EXPECT_EQ(c.auth.spf_helpers, 4);
  EXPECT_EQ(c.auth.spf_timeout, 5s);
  EXPECT_EQ(c.auth.lookup_timeout, 12s);
  EXPECT_EQ(c.auth.trusted_arc_sealers, std::vector<std::string>{"lists.example.org"});
  EXPECT_EQ(c.auth.dnsbl, std::vector<std::string>{"zen.spamhaus.org"});
  EXPECT_EQ(c.srs.domain, "fwd.example.net");
  EXPECT_EQ(c.srs.secrets, (std::vector<std::string>{"current", "previous"}));
  EXPECT_EQ(c.srs.max_age, std::chrono::hours(240));
  EXPECT_FALSE(c.arc.enabled);
  EXPECT_EQ(c.arc.selector, "arc2026");
  EXPECT_EQ(c.queue.directory, "/var/spool/hk");
  EXPECT_EQ(c.queue.retry_interval, 1min);
  EXPECT_EQ(c.queue.max_lifetime, std::chrono::hours(48));
  EXPECT_EQ(c.queue.max_retry_interval, std::chrono::minutes(30));
  EXPECT_EQ(c.queue.session_budget, std::chrono::minutes(3));
  EXPECT_EQ(c.queue.destination_concurrency, 4u);
  EXPECT_EQ(c.queue.control_socket, "/run/hk.sock");
  EXPECT_EQ(c.metrics.listen, "127.0.0.1:9725");
  EXPECT_EQ(c.log.level, "debug");

  ASSERT_EQ(c.domains.size(), 3u);
  const DomainConfig& d = c.domains[0];
  EXPECT_FALSE(d.subaddressing);
  EXPECT_FALSE(d.dmarc_enforce.has_value());
  EXPECT_FALSE(d.quarantine.has_value());
  EXPECT_EQ(c.domains[1].dmarc_enforce, std::optional<bool>(true));
  EXPECT_EQ(c.domains[1].quarantine, std::optional<QuarantineAction>(QuarantineAction::forward));
  EXPECT_EQ(d.subaddress_separator, "+-");
  ASSERT_TRUE(d.catch_all.has_value());
  EXPECT_EQ(d.catch_all->action, RouteAction::forward);
  EXPECT_EQ(d.catch_all->forward_to, std::vector<std::string>{"postmaster@example.net"});
  ASSERT_EQ(d.rules.size(), 1u);
  EXPECT_EQ(d.rules[0].address, "Info");  // kept as configured; matching is case-insensitive
  EXPECT_EQ(d.rules[0].target.forward_to.size(), 2u);
  ASSERT_TRUE(c.domains[1].catch_all.has_value());
  EXPECT_EQ(c.domains[1].catch_all->action, RouteAction::reject);
  EXPECT_EQ(c.domains[1].catch_all->reply_code, 551);
  EXPECT_EQ(c.domains[1].catch_all->reply_text, "5.1.6 Moved");
  ASSERT_TRUE(c.domains[2].catch_all.has_value());
  EXPECT_EQ(c.domains[2].catch_all->action, RouteAction::drop);
}

TEST(ConfigValues, InternationalDomainNamesAndUtf8Addresses) {
  const Config c = load_ok(
      "[[domain]]\n"
      "name = \"bücher.example\"\n"
      "[[domain.rule]]\n"
      "address = \"größe\"\n"
      "forward = [\"jörg@bücher.example\"]\n");
  ASSERT_EQ(c.domains.size(), 1u);
  EXPECT_EQ(c.domains[0].name, "bücher.example");  // as configured
  EXPECT_EQ(c.domains[0].rules[0].address, "größe");
  EXPECT_EQ(c.domains[0].rules[0].target.forward_to, std::vector<std::string>{"jörg@bücher.example"});
}

TEST(ConfigValues, ListenPortZeroMeansEphemeralAndMayRepeat) {
  const Config c = load_ok("[server]\nlisten = [\"127.0.0.1:0\", \"127.0.0.1:0\"]\n");
  ASSERT_EQ(c.server.listen.size(), 2u);
  EXPECT_EQ(c.server.listen[0].port, 0);
}

TEST(ConfigValues, LoadStringWithErrorsReturnsNoConfig) {
  auto loaded = load_string("[server]\nmax_errors = 0\n", "x.toml");
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].file, "x.toml");
  EXPECT_EQ(loaded.error()[0].line, 2);
  EXPECT_EQ(loaded.error()[0].message, "server.max_errors: must be at least 1");
}

TEST(ConfigValues, AuthLookupTimeoutMustBePositive) {
  EXPECT_EQ(load_ok("[auth]\n").auth.lookup_timeout, std::chrono::seconds(30));
  auto loaded = load_string("[auth]\nlookup_timeout = \"0s\"\n", "x.toml");
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].text(), "x.toml:2: auth.lookup_timeout: must be greater than 0");
}

TEST(ConfigErrorText, WithAndWithoutLine) {
  EXPECT_EQ((ConfigError{"a.toml", 7, "boom"}).text(), "a.toml:7: boom");
  EXPECT_EQ((ConfigError{"a.toml", 0, "boom"}).text(), "a.toml: boom");
}

TEST(ConfigFile, MissingFileIsOneErrorWithoutLine) {
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "absent.toml").string();
  auto loaded = load_file(path);
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].text(), path + ": cannot read \"" + path + "\": No such file or directory");
}

TEST(ConfigFile, DirectoryIsNotAConfigFile) {
  testing::ScratchDir dir;
  auto loaded = load_file(dir.path().string());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error()[0].line, 0);
  EXPECT_NE(loaded.error()[0].message.find("not a regular file"), std::string::npos);
}

TEST(ConfigFile, ErrorsNameTheFileAsGiven) {
  testing::ScratchDir dir;
  const std::string path = dir.write("h.toml", "[server]\n\nmax_recipients = 0\n");
  auto loaded = load_file(path);
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].text(), path + ":3: server.max_recipients: must be at least 1");
}

}  // namespace
}  // namespace hikyaku::config

namespace hikyaku::config {
namespace {

TEST(ConfigFromRewrite, DefaultsToWhenNeededAndTheSrsDomain) {
  const Config c = load_ok(
      "[srs]\ndomain = \"fwd.example.net\"\nsecrets = [\"s\"]\n"
      "[[domain]]\nname = \"example.com\"\n[[domain.rule]]\naddress = \"info\"\nforward = [\"a@b.example\"]\n");
  EXPECT_EQ(c.from_rewrite.domain, "fwd.example.net");
  EXPECT_EQ(c.from_rewrite.reply_max_age, std::chrono::hours(24 * 90));
  ASSERT_EQ(c.domains.size(), 1u);
  EXPECT_EQ(c.domains[0].from_rewrite, FromRewriteMode::when_needed);
  EXPECT_FALSE(c.domains[0].rules[0].from_rewrite.has_value());
  EXPECT_EQ(load_ok("").from_rewrite.domain, "");
}

TEST(ConfigFromRewrite, EveryKeySet) {
  const Config c = load_ok(
      "[from_rewrite]\ndomain = \"Reply.Example.NET\"\nreply_max_age = \"1000d\"\n"
      "[[domain]]\nname = \"example.com\"\nfrom_rewrite = \"never\"\n"
      "[[domain.rule]]\naddress = \"info\"\nforward = [\"a@b.example\"]\nfrom_rewrite = \"always\"\n"
      "[[domain.rule]]\naddress = \"x\"\nforward = [\"a@b.example\"]\nfrom_rewrite = \"when-needed\"\n");
  EXPECT_EQ(c.from_rewrite.domain, "reply.example.net");
  EXPECT_EQ(c.from_rewrite.reply_max_age, std::chrono::hours(24 * 1000));
  EXPECT_EQ(c.domains[0].from_rewrite, FromRewriteMode::never);
  EXPECT_EQ(c.domains[0].rules[0].from_rewrite, std::optional<FromRewriteMode>(FromRewriteMode::always));
  EXPECT_EQ(c.domains[0].rules[1].from_rewrite, std::optional<FromRewriteMode>(FromRewriteMode::when_needed));
  EXPECT_STREQ(to_string(FromRewriteMode::when_needed), "when-needed");
}

TEST(ConfigFromRewrite, ReplyMaxAgeAtItsBoundaries) {
  EXPECT_EQ(load_ok("[from_rewrite]\nreply_max_age = \"1d\"\n").from_rewrite.reply_max_age, std::chrono::hours(24));
  EXPECT_EQ(load_ok("[from_rewrite]\nreply_max_age = \"24h\"\n").from_rewrite.reply_max_age, std::chrono::hours(24));
  EXPECT_FALSE(testing::errors_of("[from_rewrite]\nreply_max_age = \"86399s\"\n").empty());
  EXPECT_EQ(load_ok("[from_rewrite]\nreply_max_age = \"999d\"\n").from_rewrite.reply_max_age, std::chrono::hours(24 * 999));
  EXPECT_EQ(load_ok("[from_rewrite]\nreply_max_age = \"1000d\"\n").from_rewrite.reply_max_age, std::chrono::hours(24 * 1000));
  EXPECT_FALSE(testing::errors_of("[from_rewrite]\nreply_max_age = \"1001d\"\n").empty());
}

}  // namespace
}  // namespace hikyaku::config
