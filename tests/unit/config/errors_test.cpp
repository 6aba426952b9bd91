// Every kind of configuration error, table-driven: each input produces exactly the listed
// "FILE:LINE: message" lines (line numbers included), and loading never stops at the first.
#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace hikyaku::config {
namespace {

using testing::errors_of;

struct ErrorCase {
  const char* name;
  std::string toml;
  std::vector<std::string> expected;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ConfigErrorCases : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorCases, ProducesExactlyTheseErrors) {
  EXPECT_EQ(errors_of(GetParam().toml), GetParam().expected);
}

const std::string kDomain = "[[domain]]\nname = \"example.com\"\n";  // lines 1-2

const ErrorCase kCases[] = {
    // --- TOML syntax: toml++'s description and line.
    {"syntax_missing_value",
     "[server]\nhostname =\n",
     {"t.toml:2: TOML syntax error: Error while parsing key-value pair: expected value, saw '\\n'"}},
    {"syntax_redefined_key",
     "[log]\nlevel = \"info\"\nlevel = \"debug\"\n",
     {"t.toml:3: TOML syntax error: Error while parsing key-value pair: cannot redefine existing string "
      "'level'"}},

    // --- Unknown keys, in every kind of table.
    {"unknown_top_level_key", "\n\nbogus = 1\n", {"t.toml:3: bogus: unknown key"}},
    {"rule_before_any_domain",
     "[server]\nhostname = \"mx.example.net\"\n  [[ domain.rule ]]  # misplaced\naddress = \"x\"\n"
     "forward = [\"a@b.example\"]\n[[domain]]\nname = \"example.com\"\n",
     {"t.toml:3: [[domain.rule]] before any [[domain]]: a rule belongs to the [[domain]] table above it; move it "
      "below its domain's name = \"...\""}},
    {"postmaster_not_a_mailbox", "[server]\npostmaster = \"ops at example\"\n",
     {"t.toml:2: server.postmaster: bad mailbox \"ops at example\": address syntax error"}},
    {"unknown_top_level_table", "[smtp]\nport = 25\n", {"t.toml:1: smtp: unknown key"}},
    {"unknown_server_key", "[server]\nhostnam = \"x\"\n", {"t.toml:2: server.hostnam: unknown key"}},
    {"unknown_tls_key",
     "[server.tls]\ncert = \"c.pem\"\n",
     {"t.toml:1: server.tls: certificate is required", "t.toml:1: server.tls: private_key is required",
      "t.toml:2: server.tls.cert: unknown key"}},
    {"unknown_dns_key", "[dns]\nserver = []\n", {"t.toml:2: dns.server: unknown key"}},
    {"unknown_relay_key", "[relay]\nhelo = \"x\"\n", {"t.toml:2: relay.helo: unknown key"}},
    {"unknown_auth_key", "[auth]\ndmarc = true\n", {"t.toml:2: auth.dmarc: unknown key"}},
    {"unknown_srs_key", "[srs]\nsecret = \"x\"\n", {"t.toml:2: srs.secret: unknown key"}},
    {"unknown_dkim_key", "[dkim]\nkeys = []\n", {"t.toml:2: dkim.keys: unknown key"}},
    {"unknown_dkim_key_key",
     "[[dkim.key]]\ndomain = \"example.net\"\nselector = \"s1\"\nprivate_key = \"/dev/null\"\nsigner = 1\n",
     {"t.toml:4: dkim.key[0].private_key: cannot read \"/dev/null\": not a regular file",
      "t.toml:5: dkim.key[0].signer: unknown key"}},
    {"unknown_arc_key", "[arc]\nenable = true\n", {"t.toml:2: arc.enable: unknown key"}},
    {"unknown_queue_key", "[queue]\ndir = \"/tmp\"\n", {"t.toml:2: queue.dir: unknown key"}},
    {"unknown_metrics_key",
     "[metrics]\naddress = \"127.0.0.1:9\"\n",
     {"t.toml:2: metrics.address: unknown key"}},
    {"unknown_log_key", "[log]\nlvl = \"info\"\n", {"t.toml:2: log.lvl: unknown key"}},
    {"unknown_domain_key", kDomain + "catchall = true\n", {"t.toml:3: domain[0].catchall: unknown key"}},
    {"unknown_catch_all_key",
     kDomain + "catch_all = { action = \"drop\", bogus = 1 }\n",
     {"t.toml:3: domain[0].catch_all.bogus: unknown key"}},
    {"unknown_rule_key",
     kDomain + "[[domain.rule]]\naddress = \"a\"\naction = \"drop\"\ndestination = \"x\"\n",
     {"t.toml:6: domain[0].rule[0].destination: unknown key"}},
    {"unknown_quoted_key", "[log]\n\"a b\" = 1\n", {"t.toml:2: log.\"a b\": unknown key"}},

    // --- Wrong types.
    {"type_string_for_integer",
     "[server]\nmax_recipients = \"100\"\n",
     {"t.toml:2: server.max_recipients: expected integer, got string"}},
    {"type_float_for_integer",
     "[server]\nmax_message_size = 1e6\n",
     {"t.toml:2: server.max_message_size: expected integer, got float"}},
    {"type_string_for_bool",
     "[auth]\ndmarc_enforce = \"yes\"\n",
     {"t.toml:2: auth.dmarc_enforce: expected boolean (true or false), got string"}},
    {"type_integer_for_string",
     "[server]\nhostname = 1\n",
     {"t.toml:2: server.hostname: expected string, got integer"}},
    {"type_integer_for_table", "server = 1\n", {"t.toml:1: server: expected table, got integer"}},
    {"type_string_for_array",
     "[server]\nlisten = \"127.0.0.1:25\"\n",
     {"t.toml:2: server.listen: expected array of strings, got string"}},
    {"type_array_element",
     "[server]\nlisten = [\"127.0.0.1:25\",\n  25]\n",
     {"t.toml:3: server.listen[1]: expected string, got integer"}},
    {"type_table_for_array_of_tables",
     "[dkim.key]\ndomain = \"x\"\n",
     {"t.toml:1: dkim.key: expected array of tables ([[dkim.key]]), got table"}},
    {"type_domain_element", "domain = [1]\n", {"t.toml:1: domain[0]: expected table, got integer"}},
    {"type_bool_for_duration",
     "[dns]\ntimeout = true\n",
     {"t.toml:2: dns.timeout: expected duration string such as \"30s\", got boolean"}},
    {"nul_in_string",
     "[server]\nhostname = \"a\\u0000b\"\n",
     {"t.toml:2: server.hostname: must not contain NUL characters"}},

    // --- Durations.
    {"duration_bare_integer",
     "[server]\ncommand_timeout = 300\n",
     {"t.toml:2: server.command_timeout: duration needs a unit (ms, s, m, h or d), as in \"30s\""}},
    {"duration_bare_string",
     "[queue]\nretry_interval = \"300\"\n",
     {"t.toml:2: queue.retry_interval: duration needs a unit (ms, s, m, h or d), as in \"30s\""}},
    {"relay_address_family_unknown",
     "[relay]\naddress_family = \"ipv5_first\"\n",
     {"t.toml:2: relay.address_family: unknown address_family \"ipv5_first\" (expected ipv6_first, "
      "ipv4_first, ipv4_only or ipv6_only)"}},
    {"relay_tls_policy_unknown_mode",
     "[relay]\ntls_policy = { \"a.example\" = \"encrypt\" }\n",
     {"t.toml:2: relay.tls_policy: a.example: expected \"dane\", \"mta-sts\", \"verify\", \"may\" or \"none\""}},
    {"relay_tls_policy_bad_domain",
     "[relay]\ntls_policy = { \"localhost\" = \"may\" }\n",
     {"t.toml:2: relay.tls_policy: bad domain \"localhost\""}},
    {"relay_mta_sts_max_policy_size_zero",
     "[relay]\nmta_sts_max_policy_size = 0\n",
     {"t.toml:2: relay.mta_sts_max_policy_size: must be at least 1"}},
    {"reports_max_bytes_per_day_below_minimum",
     "[reports]\nmax_bytes_per_day = 1023\n",
     {"t.toml:2: reports.max_bytes_per_day: must be at least 1024 (a day must hold some records)"}},
    {"reports_fsync_batch_zero",
     "[reports]\nfsync_batch = 0\n",
     {"t.toml:2: reports.fsync_batch: must be at least 1"}},
    {"reports_sender_with_space",
     "[reports]\nsender = \"tls reports\"\n",
     {"t.toml:2: reports.sender: bad sender \"tls reports\" (a local part, or an address local@domain)"}},
    {"reports_sender_two_ats",
     "[reports]\nsender = \"a@b@c.example\"\n",
     {"t.toml:2: reports.sender: bad sender \"a@b@c.example\" (a local part, or an address local@domain)"}},
    {"reports_tls_reports_not_bool",
     "[reports]\ntls_reports = \"yes\"\n",
     {"t.toml:2: reports.tls_reports: expected boolean (true or false), got string"}},
    {"reports_dmarc_reports_not_bool",
     "[reports]\ndmarc_reports = 1\n",
     {"t.toml:2: reports.dmarc_reports: expected boolean (true or false), got integer"}},
    {"reports_unknown_key",
     "[reports]\ntls_report = true\n",
     {"t.toml:2: reports.tls_report: unknown key"}},
    {"relay_ipv4_only_bad_domain",
     "[relay]\nipv4_only = [\"-bad-.example\"]\n",
     {"t.toml:2: relay.ipv4_only[0]: \"-bad-.example\" is not a valid domain name"}},
    {"duration_bad_unit",
     "[relay]\nconnect_timeout = \"30sec\"\n",
     {"t.toml:2: relay.connect_timeout: bad duration \"30sec\" (expected a whole number and a unit: ms, s, "
      "m, h or d)"}},
    {"duration_with_space",
     "[server]\ndata_timeout = \"5 m\"\n",
     {"t.toml:2: server.data_timeout: bad duration \"5 m\" (expected a whole number and a unit: ms, s, m, h "
      "or d)"}},
    {"duration_fraction",
     "[server]\ndata_timeout = \"1.5h\"\n",
     {"t.toml:2: server.data_timeout: bad duration \"1.5h\" (expected a whole number and a unit: ms, s, m, h "
      "or d)"}},
    {"duration_zero_timeout",
     "[server]\ntls_handshake_timeout = \"0ms\"\n",
     {"t.toml:2: server.tls_handshake_timeout: must be greater than 0"}},
    {"duration_zero_session_time",
     "[server]\nmax_session_time = \"0s\"\n",
     {"t.toml:2: server.max_session_time: must be greater than 0"}},
    {"duration_zero_srs_age", "[srs]\nmax_age = \"0d\"\n", {"t.toml:2: srs.max_age: must be greater than 0"}},

    // --- Sizes and counts.
    {"negative_count", "[dns]\ncache_entries = -1\n", {"t.toml:2: dns.cache_entries: must not be negative"}},
    {"zero_message_size",
     "[server]\nmax_message_size = 0\n",
     {"t.toml:2: server.max_message_size: must be at least 1"}},
    {"zero_connections",
     "[server]\nmax_connections = 0\nmax_connections_per_ip = 0\n",
     {"t.toml:2: server.max_connections: must be at least 1",
      "t.toml:3: server.max_connections_per_ip: must be at least 1"}},
    {"relay_port_zero", "[relay]\nport = 0\n", {"t.toml:2: relay.port: must be from 1 to 65535"}},
    {"relay_port_too_big", "[relay]\nport = 65536\n", {"t.toml:2: relay.port: must be from 1 to 65535"}},

    // --- Listen and server addresses.
    {"listen_hostname",
     "[server]\nlisten = [\"localhost:2525\"]\n",
     {"t.toml:2: server.listen[0]: bad listen address \"localhost:2525\": host must be an IP address (IPv4, "
      "or IPv6 in brackets)"}},
    {"listen_ipv6_without_brackets",
     "[server]\nlisten = [\"::1:2525\"]\n",
     {"t.toml:2: server.listen[0]: bad listen address \"::1:2525\": an IPv6 address needs brackets, as in "
      "[::1]:2525"}},
    {"listen_missing_port",
     "[server]\nproxy_listen = [\"127.0.0.1\"]\ntrusted_proxies = [\"127.0.0.1\"]\n",
     {"t.toml:2: server.proxy_listen[0]: bad listen address \"127.0.0.1\": missing ':PORT'"}},
    {"spf_helper_user_root",
     "[auth]\nspf_helper_user = \"root\"\n",
     {"t.toml:2: auth.spf_helper_user: spf_helper_user must name an unprivileged user (SPF helpers never run "
      "as root)"}},
    {"spf_helper_user_is_the_service_user",
     "[server]\nuser = \"hikyaku\"\n[auth]\nspf_helper_user = \"hikyaku\"\n",
     {"t.toml:4: auth.spf_helper_user: spf_helper_user must differ from server.user: a helper subverted by a "
      "hostile SPF record could otherwise read the keys and the spool"}},
    {"proxy_listen_without_trusted_proxies",
     "[server]\nproxy_listen = [\"127.0.0.1:10025\"]\n",
     {"t.toml:2: server.proxy_listen: proxy_listen needs trusted_proxies: the peers allowed to send a PROXY "
      "header (a header from anyone else could claim any client address)"}},
    {"trusted_proxies_bad_entries",
     "[server]\ntrusted_proxies = [\"192.0.2.1/24\", \"proxy.example\", \"2001:db8::/129\", \"10.0.0.0/8\"]\n",
     {"t.toml:2: server.trusted_proxies[0]: \"192.0.2.1/24\" is not an address or prefix (e.g. \"192.0.2.10\", "
      "\"10.0.0.0/8\", \"2001:db8::/32\"; host bits must be zero)",
      "t.toml:2: server.trusted_proxies[1]: \"proxy.example\" is not an address or prefix (e.g. \"192.0.2.10\", "
      "\"10.0.0.0/8\", \"2001:db8::/32\"; host bits must be zero)",
      "t.toml:2: server.trusted_proxies[2]: \"2001:db8::/129\" is not an address or prefix (e.g. \"192.0.2.10\", "
      "\"10.0.0.0/8\", \"2001:db8::/32\"; host bits must be zero)"}},
    {"listen_port_range",
     "[server]\nlisten = [\"127.0.0.1:65536\"]\n",
     {"t.toml:2: server.listen[0]: bad listen address \"127.0.0.1:65536\": port must be a number from 1 to "
      "65535"}},
    {"listen_bad_ipv6",
     "[server]\nlisten = [\"[::g]:25\"]\n",
     {"t.toml:2: server.listen[0]: bad listen address \"[::g]:25\": not an IPv6 address in the brackets"}},
    {"listen_unclosed_bracket",
     "[server]\nlisten = [\"[::1:25\"]\n",
     {"t.toml:2: server.listen[0]: bad listen address \"[::1:25\": missing ']' after IPv6 address"}},
    {"listen_duplicate_across_lists",
     "[server]\nlisten = [\"[::1]:2525\"]\nproxy_listen = [\"[0::1]:2525\"]\ntrusted_proxies = [\"::1\"]\n",
     {"t.toml:3: server.proxy_listen[0]: [::1]:2525 is already listed at line 2"}},
    {"dns_server_port_zero",
     "[dns]\nservers = [\"127.0.0.1:0\"]\n",
     {"t.toml:2: dns.servers[0]: bad server address \"127.0.0.1:0\": port must be a number from 1 to 65535"}},
    {"metrics_listen_bad",
     "[metrics]\nlisten = \"9725\"\n",
     {"t.toml:2: metrics.listen: bad listen address \"9725\": missing ':PORT'"}},

    // --- IP addresses.
    {"source_ipv4_not_v4",
     "[relay]\nsource_ipv4 = [\"::1\"]\n",
     {"t.toml:2: relay.source_ipv4[0]: \"::1\" is not an IPv4 address"}},
    {"source_ipv6_not_v6",
     "[relay]\nsource_ipv6 = [\"192.0.2.1\"]\n",
     {"t.toml:2: relay.source_ipv6[0]: \"192.0.2.1\" is not an IPv6 address"}},
    {"source_ipv4_garbage",
     "[relay]\nsource_ipv4 = [\"192.0.2.256\"]\n",
     {"t.toml:2: relay.source_ipv4[0]: \"192.0.2.256\" is not an IPv4 address"}},

    // --- Domain names and tokens.
    {"bad_hostname",
     "[server]\nhostname = \"mx..example\"\n",
     {"t.toml:2: server.hostname: \"mx..example\" is not a valid domain name"}},
    {"bad_helo_name",
     "[relay]\nhelo_name = \"out example\"\n",
     {"t.toml:2: relay.helo_name: \"out example\" is not a valid domain name"}},
    {"bad_dnsbl_zone",
     "[auth]\ndnsbl = [\"zen.spamhaus.org\", \"-bad-.example\"]\n",
     {"t.toml:2: auth.dnsbl[1]: \"-bad-.example\" is not a valid domain name"}},
    {"bad_quarantine",
     "[auth]\nquarantine = \"drop\"\n",
     {"t.toml:2: auth.quarantine: unknown quarantine action \"drop\": expected \"forward\" or \"reject\""}},
    {"bad_from_rewrite_mode",
     kDomain + "from_rewrite = \"sometimes\"\n",
     {"t.toml:3: domain[0].from_rewrite: unknown mode \"sometimes\": expected \"never\", \"when-needed\" or "
      "\"always\""}},
    {"bad_rule_from_rewrite_mode",
     kDomain + "[[domain.rule]]\naddress = \"info\"\nforward = [\"a@b.example\"]\nfrom_rewrite = \"yes\"\n",
     {"t.toml:6: domain[0].rule[0].from_rewrite: unknown mode \"yes\": expected \"never\", \"when-needed\" or "
      "\"always\""}},
    {"from_rewrite_mode_not_a_string",
     kDomain + "from_rewrite = true\n",
     {"t.toml:3: domain[0].from_rewrite: expected string, got boolean"}},
    {"from_rewrite_bad_domain",
     "[from_rewrite]\ndomain = \"fwd..example\"\n",
     {"t.toml:2: from_rewrite.domain: \"fwd..example\" is not a valid domain name"}},
    {"from_rewrite_unknown_key",
     "[from_rewrite]\nmode = \"always\"\n",
     {"t.toml:2: from_rewrite.mode: unknown key"}},
    {"reply_max_age_below_one_day",
     "[from_rewrite]\nreply_max_age = \"23h\"\n",
     {"t.toml:2: from_rewrite.reply_max_age: must be from 1d to 1000d (the address carries the day modulo 1024)"}},
    {"reply_max_age_over_1000_days",
     "[from_rewrite]\nreply_max_age = \"1001d\"\n",
     {"t.toml:2: from_rewrite.reply_max_age: must be from 1d to 1000d (the address carries the day modulo 1024)"}},
    {"reply_max_age_zero",
     "[from_rewrite]\n\nreply_max_age = \"0s\"\n",
     {"t.toml:3: from_rewrite.reply_max_age: must be greater than 0"}},
    {"spf_helpers_over_limit",
     "[auth]\nspf_helpers = 65\n",
     {"t.toml:2: auth.spf_helpers: must be from 1 to 64"}},
    {"bad_authserv_id",
     "[auth]\nauthserv_id = \"mx example\"\n",
     {"t.toml:2: auth.authserv_id: bad authserv_id \"mx example\": must be one token such as a host name "
      "(RFC 8601 §2.2)"}},
    {"bad_domain_name",
     "[[domain]]\nname = \"exa mple.com\"\n",
     {"t.toml:2: domain[0].name: \"exa mple.com\" is not a valid domain name"}},
    {"domain_name_too_long",
     "[[domain]]\nname = \"" + std::string(63, 'a') + "." + std::string(63, 'b') + "." +
         std::string(63, 'c') + "." + std::string(63, 'd') + ".example\"\n",
     {"t.toml:2: domain[0].name: \"" + (std::string(63, 'a') + "." + std::string(16, 'b')) +
      "...\" is too long for a domain name"}},
    {"domain_without_name", "[[domain]]\nsubaddressing = true\n", {"t.toml:1: domain[0]: name is required"}},

    // --- Duplicates.
    {"duplicate_domain_case_insensitive",
     kDomain + "\n[[domain]]\nname = \"EXAMPLE.com\"\n",
     {"t.toml:5: domain[1].name: duplicate domain \"EXAMPLE.com\" (first at line 2)"}},
    {"duplicate_domain_after_idna",
     "[[domain]]\nname = \"bücher.example\"\n[[domain]]\nname = \"xn--bcher-kva.example\"\n",
     {"t.toml:4: domain[1].name: duplicate domain \"xn--bcher-kva.example\" (first at line 2)"}},
    {"duplicate_rule_case_insensitive",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"drop\"\n[[domain.rule]]\naddress = "
               "\"INFO\"\naction = \"drop\"\n",
     {"t.toml:7: domain[0].rule[1].address: duplicate rule for \"INFO\" (first at line 4)"}},
    {"same_rule_in_two_domains_is_fine",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"drop\"\n[[domain]]\nname = \"example.org\"\n"
               "[[domain.rule]]\naddress = \"info\"\naction = \"drop\"\n",
     {}},
    {"duplicate_dkim_selector",
     "[[dkim.key]]\ndomain = \"example.net\"\nselector = \"s1\"\n[[dkim.key]]\ndomain = "
     "\"Example.NET\"\nselector = \"S1\"\n",
     {"t.toml:1: dkim.key[0]: private_key is required", "t.toml:4: dkim.key[1]: private_key is required",
      "t.toml:4: dkim.key[1]: duplicate key for selector \"S1\" of example.net (first at line 1)"}},

    // --- Rules and catch-alls.
    {"rule_with_neither",
     kDomain + "[[domain.rule]]\naddress = \"info\"\n",
     {"t.toml:3: domain[0].rule[0]: needs forward = [...] or action"}},
    {"rule_without_address",
     kDomain + "[[domain.rule]]\naction = \"drop\"\n",
     {"t.toml:3: domain[0].rule[0]: address is required"}},
    {"rule_address_with_domain",
     kDomain + "[[domain.rule]]\naddress = \"info@example.com\"\naction = \"drop\"\n",
     {"t.toml:4: domain[0].rule[0].address: bad local part \"info@example.com\": must be a local part only, "
      "without \"@\" and domain"}},
    {"rule_address_empty",
     kDomain + "[[domain.rule]]\naddress = \"\"\naction = \"drop\"\n",
     {"t.toml:4: domain[0].rule[0].address: bad local part \"\": must not be empty"}},
    {"rule_address_too_long",
     kDomain + "[[domain.rule]]\naddress = \"" + std::string(65, 'a') + "\"\naction = \"drop\"\n",
     {"t.toml:4: domain[0].rule[0].address: bad local part \"" + std::string(65, 'a').substr(0, 80) +
      "\": local part longer than 64 octets (RFC 5321 §4.5.3.1.1)"}},
    {"forward_empty_list",
     kDomain + "[[domain.rule]]\naddress = \"info\"\nforward = []\n",
     {"t.toml:5: domain[0].rule[0].forward: empty list; name at least one address to forward to"}},
    {"forward_bad_mailbox",
     kDomain + "[[domain.rule]]\naddress = \"info\"\nforward = [\"ok@example.net\",\n  \"alice\"]\n",
     {"t.toml:6: domain[0].rule[0].forward[1]: bad mailbox \"alice\": address syntax error"}},
    {"forward_bad_mailbox_domain",
     kDomain + "[[domain.rule]]\naddress = \"info\"\nforward = [\"a@exa mple.net\"]\n",
     {"t.toml:5: domain[0].rule[0].forward[0]: bad mailbox \"a@exa mple.net\": address syntax error"}},
    {"forward_action_without_list",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"forward\"\n",
     {"t.toml:3: domain[0].rule[0]: action \"forward\" needs forward = [\"user@example.net\", ...]"}},
    {"forward_with_drop",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"drop\"\nforward = [\"a@example.net\"]\n",
     {"t.toml:6: domain[0].rule[0].forward: cannot be combined with action \"drop\""}},
    {"unknown_action",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"bounce\"\n",
     {"t.toml:5: domain[0].rule[0].action: unknown action \"bounce\" (expected forward, drop or reject)"}},
    {"code_with_drop",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"drop\"\ncode = 550\n",
     {"t.toml:6: domain[0].rule[0].code: only applies to action \"reject\""}},
    {"text_with_forward",
     kDomain + "[[domain.rule]]\naddress = \"info\"\nforward = [\"a@example.net\"]\ntext = \"x\"\n",
     {"t.toml:6: domain[0].rule[0].text: only applies to action \"reject\""}},
    {"reject_code_too_high",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"reject\"\ncode = 600\n",
     {"t.toml:6: domain[0].rule[0].code: must be from 400 to 599 (a 4xx or 5xx SMTP reply)"}},
    {"reject_code_too_low",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"reject\"\ncode = 399\n",
     {"t.toml:6: domain[0].rule[0].code: must be from 400 to 599 (a 4xx or 5xx SMTP reply)"}},
    {"reject_text_with_lf",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"reject\"\ntext = \"5.1.1 a\\nb\"\n",
     {"t.toml:6: domain[0].rule[0].text: must not contain CR or LF"}},
    {"reject_text_with_cr",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"reject\"\ntext = \"a\\rb\"\n",
     {"t.toml:6: domain[0].rule[0].text: must not contain CR or LF"}},
    {"reject_text_non_ascii",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"reject\"\ntext = \"bye ☺\"\n",
     {"t.toml:6: domain[0].rule[0].text: must be printable ASCII (RFC 5321 §4.2 textstring)"}},
    {"reject_text_class_mismatch",
     kDomain + "[[domain.rule]]\naddress = \"info\"\naction = \"reject\"\ncode = 450\ntext = \"5.1.1 No\"\n",
     {"t.toml:7: domain[0].rule[0].text: enhanced status code 5.1.1 does not match reply code 450 (RFC 3463 "
      "§2)"}},
    {"catch_all_without_action",
     kDomain + "catch_all = { to = [] }\n",
     {"t.toml:3: domain[0].catch_all.to: empty list; name at least one address to forward to"}},
    {"catch_all_empty",
     kDomain + "catch_all = {}\n",
     {"t.toml:3: domain[0].catch_all: needs an action (forward, drop or reject)"}},
    {"catch_all_forward_without_to",
     kDomain + "catch_all = { action = \"forward\" }\n",
     {"t.toml:3: domain[0].catch_all: action \"forward\" needs to = [\"user@example.net\", ...]"}},
    {"catch_all_forward_key_is_to",
     kDomain + "catch_all = { action = \"forward\", forward = [\"a@example.net\"] }\n",
     {"t.toml:3: domain[0].catch_all: action \"forward\" needs to = [\"user@example.net\", ...]",
      "t.toml:3: domain[0].catch_all.forward: unknown key"}},
    {"catch_all_reject_code",
     kDomain + "catch_all = { action = \"reject\", code = 250 }\n",
     {"t.toml:3: domain[0].catch_all.code: must be from 400 to 599 (a 4xx or 5xx SMTP reply)"}},
    {"catch_all_not_a_table",
     kDomain + "catch_all = \"drop\"\n",
     {"t.toml:3: domain[0].catch_all: expected table, got string"}},
    {"separator_empty",
     kDomain + "subaddress_separator = \"\"\n",
     {"t.toml:3: domain[0].subaddress_separator: must not be empty"}},
    {"separator_letter",
     kDomain + "subaddress_separator = \"x\"\n",
     {"t.toml:3: domain[0].subaddress_separator: must be punctuation characters such as \"+\" or \"+-\" (not "
      "letters, "
      "digits, space, \"@\", quote or backslash)"}},

    // --- Enumerations and required keys.
    {"unknown_algorithm",
     "[[dkim.key]]\ndomain = \"example.net\"\nselector = \"s1\"\nalgorithm = \"rsa-sha1\"\n",
     {"t.toml:1: dkim.key[0]: private_key is required",
      "t.toml:4: dkim.key[0].algorithm: unknown algorithm \"rsa-sha1\" (expected rsa-sha256 or "
      "ed25519-sha256)"}},
    {"bad_selector",
     "[arc]\nselector = \"-x\"\n",
     {"t.toml:2: arc.selector: bad selector \"-x\": expected labels of letters, digits and hyphens (RFC 6376 "
      "§3.1)"}},
    {"unknown_log_level",
     "[log]\nlevel = \"verbose\"\n",
     {"t.toml:2: log.level: unknown level \"verbose\" (expected trace, debug, info, warning or error)"}},
    {"unknown_log_format",
     "[log]\nlevel = \"info\"\nformat = \"JSON\"\n",
     {"t.toml:3: log.format: unknown format \"JSON\" (expected text or json)"}},
    {"unknown_log_target",
     "[log]\n\ntarget = \"syslog\"\n",
     {"t.toml:3: log.target: unknown target \"syslog\" (expected stderr or journald)"}},
    {"arc_enabled_without_keys",
     "[arc]\nenabled = true\n",
     {"t.toml:1: arc: domain is required when enabled = true",
      "t.toml:1: arc: selector is required when enabled = true",
      "t.toml:1: arc: private_key is required when enabled = true"}},
    {"arc_disabled_needs_nothing", "[arc]\nenabled = false\nprivate_key = \"does-not-exist.pem\"\n", {}},
    {"srs_domain_without_secrets",
     "[srs]\ndomain = \"fwd.example.net\"\n",
     {"t.toml:1: srs: secrets are required when domain is set"}},
    {"srs_empty_secrets",
     "[srs]\ndomain = \"fwd.example.net\"\nsecrets = []\n",
     {"t.toml:3: srs.secrets: must name at least one secret (the first signs)"}},
    {"srs_secrets_without_domain",
     "[srs]\nsecrets = [\"s\"]\n",
     {"t.toml:1: srs: domain is required when secrets are set"}},
    {"srs_empty_secret",
     "[srs]\ndomain = \"fwd.example.net\"\nsecrets = [\"a\", \"\"]\n",
     {"t.toml:3: srs.secrets[1]: must not be empty"}},
    {"queue_session_budget_too_long",
     "[queue]\nsession_budget = \"10m\"\n",
     {"t.toml:2: queue.session_budget: must be below 10m: the sender waits 10 minutes for the reply "
      "to DATA (RFC 5321 §4.5.3.2.6)"}},
    {"queue_concurrency_zero",
     "[queue]\ndestination_concurrency = 0\n",
     {"t.toml:2: queue.destination_concurrency: must be at least 1"}},
    {"queue_directory_empty",
     "[queue]\ndirectory = \"\"\n",
     {"t.toml:2: queue.directory: must not be empty"}},

    // --- Values that could break a message line are shown escaped.
    {"control_characters_escaped",
     "[log]\nlevel = \"a\\tb\\\"c\"\n",
     {"t.toml:2: log.level: unknown level \"a\\x09b\\\"c\" (expected trace, debug, info, warning or error)"}},
};

INSTANTIATE_TEST_SUITE_P(All, ConfigErrorCases, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ConfigErrors, AllErrorsAreCollectedInLineOrder) {
  // Three unrelated mistakes in sections read in a different order from the file's.
  const std::string toml =
      "[[domain]]\n"              // 1
      "name = \"example.com\"\n"  // 2
      "[[domain.rule]]\n"         // 3
      "address = \"info\"\n"      // 4
      "forward = []\n"            // 5
      "[server]\n"                // 6
      "max_command_line = 100\n"  // 7
      "listen = [\"nowhere\"]\n"  // 8
      "[log]\n"                   // 9
      "level = \"loud\"\n";       // 10
  EXPECT_EQ(
      errors_of(toml),
      (std::vector<std::string>{
          "t.toml:5: domain[0].rule[0].forward: empty list; name at least one address to forward to",
          "t.toml:7: server.max_command_line: must be at least 512 (RFC 5321 §4.5.3.1.4)",
          "t.toml:8: server.listen[0]: bad listen address \"nowhere\": missing ':PORT'",
          "t.toml:10: log.level: unknown level \"loud\" (expected trace, debug, info, warning or error)",
      }));
}

TEST(ConfigErrors, OneBadRuleDoesNotHideTheNext) {
  const std::string toml = kDomain +
                           "[[domain.rule]]\naddress = \"a\"\naction = \"explode\"\n"     // 3-5
                           "[[domain.rule]]\naddress = \"b\"\nforward = [\"nobody\"]\n";  // 6-8
  EXPECT_EQ(
      errors_of(toml),
      (std::vector<std::string>{
          "t.toml:5: domain[0].rule[0].action: unknown action \"explode\" (expected forward, drop or reject)",
          "t.toml:8: domain[0].rule[1].forward[0]: bad mailbox \"nobody\": address syntax error",
      }));
}

TEST(ConfigErrors, NameOfLoadStringIsTheFileInMessages) {
  EXPECT_EQ(errors_of("bogus = 1\n", "/etc/hikyaku/main.toml"),
            std::vector<std::string>{"/etc/hikyaku/main.toml:1: bogus: unknown key"});
}

TEST(ConfigErrors, LongValuesAreShortenedInMessages) {
  const auto errors = errors_of("[log]\nlevel = \"" + std::string(500, 'x') + "\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("\"" + std::string(80, 'x') + "...\""), std::string::npos) << errors[0];
  EXPECT_LT(errors[0].size(), 200u);
}

TEST(ConfigErrors, ShortenedValuesEndOnACharacterBoundary) {
  std::string value;
  for (int i = 0; i < 100; ++i) value += "\xc3\xbc";  // ü
  const auto errors = errors_of("[log]\nlevel = \"" + value + "\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("\"" + value.substr(0, 160) + "...\""), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace hikyaku::config
