// Limits at their exact boundaries (N-1 refused, N accepted), and every duration unit, both
// through parse_duration and through the loader. RFC 5321 §4.5.3.1.4 (512-octet command line),
// §4.5.3.1.6 (1000-octet text line), §4.5.3.1.8 (100 recipients is advice; >= 1 allowed).
#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace hikyaku::config {
namespace {

using namespace std::chrono_literals;
using testing::errors_of;

struct Boundary {
  const char* key;      // in [server] unless it contains a dot
  int64_t refused;      // largest refused value
  const char* message;  // the error for `refused`
};

void PrintTo(const Boundary& b, std::ostream* os) { *os << b.key << " = " << b.refused; }

class ConfigBoundaries : public ::testing::TestWithParam<Boundary> {};

std::string document(std::string_view key, int64_t value) {
  const auto dot = key.find('.');
  const std::string table = dot == std::string_view::npos ? "server" : std::string(key.substr(0, dot));
  const std::string name =
      dot == std::string_view::npos ? std::string(key) : std::string(key.substr(dot + 1));
  return "[" + table + "]\n" + name + " = " + std::to_string(value) + "\n";
}

TEST_P(ConfigBoundaries, RefusedBelowAcceptedAtTheLimit) {
  const Boundary& b = GetParam();
  const std::string path =
      std::string(b.key).find('.') == std::string::npos ? "server." + std::string(b.key) : b.key;
  EXPECT_EQ(errors_of(document(b.key, b.refused)),
            std::vector<std::string>{"t.toml:2: " + path + ": " + b.message});
  EXPECT_EQ(errors_of(document(b.key, b.refused + 1)), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(
    Limits, ConfigBoundaries,
    ::testing::Values(Boundary{"max_command_line", 511, "must be at least 512 (RFC 5321 §4.5.3.1.4)"},
                      Boundary{"max_text_line", 999, "must be at least 1000 (RFC 5321 §4.5.3.1.6)"},
                      Boundary{"max_recipients", 0, "must be at least 1"},
                      Boundary{"max_hops", 0, "must be at least 1"},
                      Boundary{"max_message_size", 0, "must be at least 1"},
                      Boundary{"max_connections", 0, "must be at least 1"},
                      Boundary{"max_connections_per_ip", 0, "must be at least 1"},
                      Boundary{"max_errors", 0, "must be at least 1"},
                      Boundary{"max_junk_commands", 0, "must be at least 1"},
                      Boundary{"dns.cache_entries", -1, "must not be negative"},
                      Boundary{"queue.min_free_space", -1, "must not be negative"},
                      Boundary{"queue.min_free_inodes", -1, "must not be negative"},
                      Boundary{"auth.spf_per_client", 0, "must be at least 1"},
                      Boundary{"auth.spf_queue_limit", 0, "must be at least 1"},
                      Boundary{"relay.port", 0, "must be from 1 to 65535"},
                      Boundary{"relay.max_mx_hosts", 0, "must be at least 1"},
                      Boundary{"relay.max_addresses", 0, "must be at least 1"},
                      Boundary{"srs.hash_length", 3,
                               "must be from 4 to 10 (4 is libsrs2's length, 10 the 60 bits a "
                               "hash can carry here)"},
                      Boundary{"srs.max_failed_reversals", 0, "must be at least 1"},
                      Boundary{"reports.max_bytes_per_day", 1023,
                               "must be at least 1024 (a day must hold some records)"},
                      Boundary{"reports.fsync_batch", 0, "must be at least 1"},
                      Boundary{"metrics.max_request_header", 255,
                               "must be at least 256 (a request line and a Host field must fit)"}),
    [](const ::testing::TestParamInfo<Boundary>& info) {
      std::string name = info.param.key;
      for (auto& c : name) c = c == '.' ? '_' : c;
      return name;
    });

TEST(ConfigLimits, ReportsDefaultsAndTheSenderAtTheForwardingDomain) {
  const auto defaults = load_string("[srs]\ndomain = \"fwd.example.net\"\nsecrets = [\"s\"]\n", "t.toml");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->reports.max_bytes_per_day, 64ull * 1024 * 1024);
  EXPECT_EQ(defaults->reports.fsync_batch, 64u);
  EXPECT_TRUE(defaults->reports.tls_reports);
  EXPECT_EQ(defaults->reports.sender_address, "reports@fwd.example.net");
  const auto given = load_string("[reports]\nsender = \"tlsrpt@ops.example\"\nmax_bytes_per_day = 1024\n"
                          "fsync_batch = 1\ntls_reports = false\n", "t.toml");
  ASSERT_TRUE(given);
  EXPECT_EQ(given->reports.sender_address, "tlsrpt@ops.example");
  EXPECT_EQ(given->reports.max_bytes_per_day, 1024u);
  EXPECT_EQ(given->reports.fsync_batch, 1u);
  EXPECT_FALSE(given->reports.tls_reports);
}

TEST(ConfigLimits, DmarcReportsOnByDefaultAndSwitchable) {
  const auto defaults = load_string("", "t.toml");
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->reports.dmarc_reports);
  const auto off = load_string("[reports]\ndmarc_reports = false\n", "t.toml");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->reports.dmarc_reports);
}

TEST(ConfigLimits, ValuesAreStoredExactly) {
  auto loaded =
      load_string("[server]\nmax_command_line = 512\nmax_text_line = 1000\nmax_recipients = 1\n", "t.toml");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->server.max_command_line, 512u);
  EXPECT_EQ(loaded->server.max_text_line, 1000u);
  EXPECT_EQ(loaded->server.max_recipients, 1u);
}

TEST(ConfigLimits, SessionBoundsStoredAndDefaulted) {
  auto defaults = load_string("", "t.toml");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->server.max_junk_commands, 100u);
  EXPECT_EQ(defaults->server.max_session_time, 30min);
  auto loaded = load_string("[server]\nmax_junk_commands = 1\nmax_session_time = \"1ms\"\n", "t.toml");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->server.max_junk_commands, 1u);
  EXPECT_EQ(loaded->server.max_session_time, 1ms);
}

TEST(ConfigLimits, InflightBudgetHoldsAtLeastOneMessage) {
  EXPECT_EQ(errors_of("[server]\nmax_message_size = 1000\nmax_inflight_bytes = 999\n"),
            std::vector<std::string>{
                "t.toml:3: server.max_inflight_bytes: must be at least max_message_size (1000)"});
  EXPECT_TRUE(errors_of("[server]\nmax_message_size = 1000\nmax_inflight_bytes = 1000\n").empty());
  EXPECT_TRUE(errors_of("[server]\nmax_inflight_bytes = 1000\nmax_message_size = 1000\n").empty());
  auto defaults = load_string("", "t.toml");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->server.max_inflight_bytes, uint64_t(1) << 30);
}

TEST(ConfigLimits, SpfShareDefaults) {
  auto defaults = load_string("", "t.toml");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->auth.spf_per_client, 1u);
  EXPECT_EQ(defaults->auth.spf_queue_limit, 100u);
}

TEST(ConfigLimits, SrsHashLengthUpperEdgeAndDefaults) {
  EXPECT_EQ(errors_of("[srs]\nhash_length = 10\n"), std::vector<std::string>{});
  EXPECT_EQ(errors_of("[srs]\nhash_length = 11\n"),
            std::vector<std::string>{"t.toml:2: srs.hash_length: must be from 4 to 10 (4 is libsrs2's "
                                     "length, 10 the 60 bits a hash can carry here)"});
  const Config d;
  EXPECT_EQ(d.srs.hash_length, 6);
  EXPECT_TRUE(d.srs.accept_legacy_hash);
  EXPECT_TRUE(d.srs.bounces_only);
  EXPECT_EQ(d.srs.max_failed_reversals, 10);
  EXPECT_EQ(d.srs.failed_reversal_window, std::chrono::hours(1));
}

TEST(ConfigLimits, UpperEdgesOfPortsAndReplyCodes) {
  EXPECT_TRUE(errors_of("[relay]\nport = 65535\n").empty());
  EXPECT_TRUE(errors_of("[server]\nlisten = [\"127.0.0.1:65535\"]\n").empty());
  const std::string domain =
      "[[domain]]\nname = \"example.com\"\n[[domain.rule]]\naddress = \"a\"\naction = \"reject\"\n";
  EXPECT_TRUE(errors_of(domain + "code = 400\n").empty());
  EXPECT_TRUE(errors_of(domain + "code = 599\n").empty());
  EXPECT_EQ(errors_of(domain + "code = 600\n").size(), 1u);
}

TEST(ConfigLimits, ReplyTextLengthBoundary) {
  const std::string domain =
      "[[domain]]\nname = \"example.com\"\n[[domain.rule]]\naddress = \"a\"\naction = \"reject\"\n";
  EXPECT_TRUE(errors_of(domain + "text = \"" + std::string(506, 'x') + "\"\n").empty());
  EXPECT_EQ(errors_of(domain + "text = \"" + std::string(507, 'x') + "\"\n"),
            std::vector<std::string>{
                "t.toml:6: domain[0].rule[0].text: longer than 506 characters; a reply line is "
                "at most 512 (RFC 5321 §4.5.3.1.5)"});
}

TEST(ConfigLimits, HugeIntegersAreRefusedNotWrapped) {
  EXPECT_EQ(errors_of("[relay]\nport = 9223372036854775807\n"),
            std::vector<std::string>{"t.toml:2: relay.port: must be from 1 to 65535"});
  auto loaded = load_string("[server]\nmax_message_size = 9223372036854775807\n", "t.toml");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->server.max_message_size, 9223372036854775807ull);
}

// --- Durations.

TEST(ConfigParseDuration, EveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), Duration(250));
  EXPECT_EQ(parse_duration("30s"), Duration(30s));
  EXPECT_EQ(parse_duration("5m"), Duration(5min));
  EXPECT_EQ(parse_duration("2h"), Duration(2h));
  EXPECT_EQ(parse_duration("5d"), Duration(std::chrono::hours(120)));
  EXPECT_EQ(parse_duration("0s"), Duration(0));
  EXPECT_EQ(parse_duration("007s"), Duration(7s));
}

TEST(ConfigParseDuration, Malformed) {
  for (const char* bad : {"", "30", "s", "ms", "-5s", "+5s", "5 s", " 5s", "5s ", "1.5h", "5S", "5sec", "5w",
                          "5y", "5mss", "0x10s", "1h30m"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_duration(std::string_view("5s\0", 3)).has_value());
}

TEST(ConfigParseDuration, OverflowIsRefused) {
  // 18 digits of milliseconds fit; days that would overflow int64 milliseconds do not.
  EXPECT_EQ(parse_duration("999999999999999999ms"), Duration(999999999999999999LL));
  EXPECT_FALSE(parse_duration("1000000000000000000ms").has_value());  // 19 digits
  EXPECT_FALSE(parse_duration("999999999999999999d").has_value());
  EXPECT_EQ(parse_duration("106751991167d"), Duration(int64_t{106751991167} * 86400000));
  EXPECT_FALSE(parse_duration("106751991168d").has_value());
}

TEST(ConfigDurations, EveryUnitThroughTheLoader) {
  const std::pair<const char*, Duration> cases[] = {{"250ms", Duration(250)},
                                                    {"30s", Duration(30s)},
                                                    {"5m", Duration(5min)},
                                                    {"2h", Duration(2h)},
                                                    {"5d", Duration(std::chrono::hours(120))}};
  for (const auto& [text, expected] : cases) {
    auto loaded = load_string(std::string("[server]\ncommand_timeout = \"") + text + "\"\n", "t.toml");
    ASSERT_TRUE(loaded.has_value()) << text;
    EXPECT_EQ(loaded->server.command_timeout, expected) << text;
  }
}

TEST(ConfigDurations, EveryDurationKeyIsParsed) {
  auto loaded = load_string(
      "[server]\ncommand_timeout = \"1s\"\ndata_timeout = \"2s\"\nshutdown_grace = \"3s\"\nproxy_timeout = "
      "\"4s\"\n"
      "tls_handshake_timeout = \"5s\"\n[dns]\ntimeout = \"6s\"\n[relay]\nconnect_timeout = \"7s\"\n"
      "[srs]\nmax_age = \"8d\"\nfailed_reversal_window = \"11m\"\n[queue]\nretry_interval = \"9m\"\nmax_lifetime = \"10h\"\n",
      "t.toml");
  ASSERT_TRUE(loaded.has_value());
  const Config& c = *loaded;
  EXPECT_EQ(c.server.command_timeout, 1s);
  EXPECT_EQ(c.server.data_timeout, 2s);
  EXPECT_EQ(c.server.shutdown_grace, 3s);
  EXPECT_EQ(c.server.proxy_timeout, 4s);
  EXPECT_EQ(c.server.tls_handshake_timeout, 5s);
  EXPECT_EQ(c.dns.timeout, 6s);
  EXPECT_EQ(c.relay.connect_timeout, 7s);
  EXPECT_EQ(c.srs.max_age, std::chrono::hours(8 * 24));
  EXPECT_EQ(c.srs.failed_reversal_window, std::chrono::minutes(11));
  EXPECT_EQ(c.queue.retry_interval, 9min);
  EXPECT_EQ(c.queue.max_lifetime, 10h);
}

TEST(ConfigDurations, ZeroGraceIsAllowedZeroTimeoutsAreNot) {
  EXPECT_TRUE(errors_of("[server]\nshutdown_grace = \"0s\"\n").empty());
  for (const char* key : {"command_timeout", "data_timeout", "proxy_timeout", "tls_handshake_timeout"}) {
    EXPECT_EQ(errors_of(std::string("[server]\n") + key + " = \"0s\"\n"),
              std::vector<std::string>{std::string("t.toml:2: server.") + key + ": must be greater than 0"});
  }
}

TEST(ConfigDurations, MetricsAndWatcherTimesStoredAndDefaulted) {
  auto defaults = load_string("", "t.toml");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->metrics.request_timeout, 5s);
  EXPECT_EQ(defaults->metrics.max_request_header, 8192u);
  EXPECT_EQ(defaults->metrics.dns_failing_for, 60s);
  EXPECT_EQ(defaults->server.reload_quiet, 1s);
  auto loaded = load_string(
      "[server]\nreload_quiet = \"0s\"\n[metrics]\nrequest_timeout = \"1ms\"\nmax_request_header = 256\n"
      "dns_failing_for = \"1s\"\n",
      "t.toml");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->server.reload_quiet, 0s);  // reload at the first change seen
  EXPECT_EQ(loaded->metrics.request_timeout, 1ms);
  EXPECT_EQ(loaded->metrics.max_request_header, 256u);
  EXPECT_EQ(loaded->metrics.dns_failing_for, 1s);
  for (const char* key : {"request_timeout", "dns_failing_for"}) {
    EXPECT_EQ(errors_of(std::string("[metrics]\n") + key + " = \"0s\"\n"),
              std::vector<std::string>{std::string("t.toml:2: metrics.") + key + ": must be greater than 0"});
  }
}

TEST(ConfigLimits, SpfLauncherSocketIsAnAbsolutePathThatFitsSunPath) {
  auto defaults = load_string("", "t.toml");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->auth.spf_launcher_socket, "");
  const auto path = [](size_t length) { return "/" + std::string(length - 1, 's'); };
  EXPECT_TRUE(errors_of("[auth]\nspf_launcher_socket = \"" + path(106) + "\"\n").empty());
  EXPECT_TRUE(errors_of("[auth]\nspf_launcher_socket = \"" + path(107) + "\"\n").empty());
  const std::vector<std::string> refused = {
      "t.toml:2: auth.spf_launcher_socket: must be an absolute path of at most 107 bytes (unix(7))"};
  EXPECT_EQ(errors_of("[auth]\nspf_launcher_socket = \"" + path(108) + "\"\n"), refused);
  EXPECT_EQ(errors_of("[auth]\nspf_launcher_socket = \"run/launcher.sock\"\n"), refused);
  auto loaded = load_string("[auth]\nspf_launcher_socket = \"/run/hikyaku-spf/launcher.sock\"\n", "t.toml");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->auth.spf_launcher_socket, "/run/hikyaku-spf/launcher.sock");
}

}  // namespace
}  // namespace hikyaku::config
