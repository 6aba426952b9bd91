// The server, dns, relay, auth, srs, dkim, arc, queue, metrics and log tables. Limits follow
// RFC 5321 §4.5.3.1 (sizes: a command line of 512, a text line of 1000 octets at least) and
// §4.5.3.2 (timeouts); key and certificate files are checked for readability here.
#include "config/sections.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "config/files.hpp"
#include "config/values.hpp"
#include "core/address.hpp"

namespace hikyaku::config::detail {

namespace fs = std::filesystem;

namespace {

// "HOST:PORT" strings of `key`, parsed; `what` names them in messages ("listen address").
void read_host_ports(TableReader& r, std::string_view key, std::string_view what, bool allow_port_zero,
                     std::vector<std::pair<ListenAddress, StringItem>>& out) {
  std::vector<StringItem> items;
  r.read_string_array(key, items);
  for (auto& item : items) {
    auto parsed = parse_host_port(item.value, allow_port_zero);
    if (!parsed) {
      r.diag().error(item.line, item.path + ": bad " + std::string(what) + " " + quote(item.value) + ": " +
                                    parsed.error());
      continue;
    }
    out.emplace_back(std::move(*parsed), std::move(item));
  }
}

void read_domain_list(TableReader& r, std::string_view key, std::vector<std::string>& out) {
  std::vector<StringItem> items;
  r.read_string_array(key, items);
  for (const auto& item : items) {
    auto ascii = core::domain_to_ascii(item.value);
    if (!ascii) {
      r.diag().error(item.line, item.path + ": " + bad_domain_message(item.value, ascii.error()));
      continue;
    }
    out.push_back(std::move(*ascii));
  }
}

void read_ip_list(TableReader& r, std::string_view key, bool v6, std::vector<std::string>& out) {
  std::vector<StringItem> items;
  r.read_string_array(key, items);
  for (auto& item : items) {
    if (v6 ? !is_ipv6(item.value) : !is_ipv4(item.value)) {
      r.diag().error(item.line, item.path + ": " + quote(item.value) + " is not an " +
                                    (v6 ? "IPv6" : "IPv4") + " address");
      continue;
    }
    out.push_back(std::move(item.value));
  }
}

int line_of_key(TableReader& r, std::string_view key) {
  const toml::node* node = r.get(key);
  return node != nullptr ? line_of(*node) : r.line();
}

}  // namespace

std::string bad_domain_message(std::string_view name, core::AddressError error) {
  if (error == core::AddressError::too_long) return quote(name) + " is too long for a domain name";
  return quote(name) + " is not a valid domain name";
}

bool read_domain_name(TableReader& r, std::string_view key, std::string& out) {
  std::string text;
  if (!r.read_string(key, text)) return false;
  auto ascii = core::domain_to_ascii(text);
  if (!ascii) {
    r.error(line_of_key(r, key), key, bad_domain_message(text, ascii.error()));
    return false;
  }
  out = std::move(*ascii);
  return true;
}

bool read_file_path(TableReader& r, std::string_view key, const fs::path& base, bool check,
                    std::string& out) {
  std::string text;
  if (!r.read_string(key, text)) return false;
  const int line = line_of_key(r, key);
  if (text.empty()) {
    r.error(line, key, "must not be empty");
    return false;
  }
  out = resolve_path(base, text);
  if (check) {
    if (auto problem = check_readable_file(out)) {
      r.error(line, key, *problem);
      return false;
    }
  }
  return true;
}

void read_server(TableReader& r, const fs::path& base, ServerConfig& out) {
  read_domain_name(r, "hostname", out.hostname);

  // server.listen and server.proxy_listen together: no address may be bound twice.
  std::vector<std::pair<ListenAddress, StringItem>> addresses;
  read_host_ports(r, "listen", "listen address", true, addresses);
  const size_t plain = addresses.size();
  read_host_ports(r, "proxy_listen", "listen address", true, addresses);
  std::map<std::string, int> bound;
  for (size_t i = 0; i < addresses.size(); ++i) {
    auto& [address, item] = addresses[i];
    address.proxy = i >= plain;
    const std::string text = address.text();
    if (address.port != 0) {
      auto [it, inserted] = bound.emplace(text, item.line);
      if (!inserted) {
        r.diag().error(item.line,
                       item.path + ": " + text + " is already listed at line " + std::to_string(it->second));
        continue;
      }
    }
    out.listen.push_back(address);
  }

  std::vector<StringItem> proxies;
  r.read_string_array("trusted_proxies", proxies);
  for (const auto& item : proxies) {
    auto prefix = core::IpPrefix::parse(item.value);
    if (!prefix) {
      r.diag().error(item.line, item.path + ": " + quote(item.value) +
                                    " is not an address or prefix (e.g. \"192.0.2.10\", \"10.0.0.0/8\", "
                                    "\"2001:db8::/32\"; host bits must be zero)");
      continue;
    }
    out.trusted_proxies.push_back(*prefix);
  }
  if (addresses.size() > plain && proxies.empty()) {
    r.error(line_of_key(r, "proxy_listen"), "proxy_listen",
            "proxy_listen needs trusted_proxies: the peers allowed to send a PROXY header "
            "(a header from anyone else could claim any client address)");
  }

  r.read_count("max_message_size", out.max_message_size, 1);
  if (r.read_count("max_inflight_bytes", out.max_inflight_bytes, 1) &&
      out.max_inflight_bytes < out.max_message_size) {
    r.error(line_of_key(r, "max_inflight_bytes"), "max_inflight_bytes",
            "must be at least max_message_size (" + std::to_string(out.max_message_size) + ")");
  }
  r.read_count("max_recipients", out.max_recipients, 1);
  r.read_count("max_hops", out.max_hops, 1);
  r.read_count("max_command_line", out.max_command_line, 512, "RFC 5321 §4.5.3.1.4");
  r.read_count("max_text_line", out.max_text_line, 1000, "RFC 5321 §4.5.3.1.6");
  r.read_duration("command_timeout", out.command_timeout, false);
  r.read_duration("data_timeout", out.data_timeout, false);
  r.read_count("max_connections", out.max_connections, 1);
  r.read_count("max_connections_per_ip", out.max_connections_per_ip, 1);
  r.read_count("max_errors", out.max_errors, 1);
  r.read_count("max_junk_commands", out.max_junk_commands, 1);
  r.read_duration("max_session_time", out.max_session_time, false);
  r.read_duration("shutdown_grace", out.shutdown_grace, true);
  r.read_string("user", out.user);
  r.read_bool("reload_on_change", out.reload_on_change);
  r.read_duration("reload_quiet", out.reload_quiet, true);
  if (r.read_string("postmaster", out.postmaster)) {
    auto mailbox = core::parse_mailbox(out.postmaster, true);
    if (!mailbox) {
      r.error(line_of_key(r, "postmaster"), "postmaster",
              "bad mailbox " + quote(out.postmaster) + ": " + std::string(core::describe(mailbox.error())));
    }
  }
  r.read_duration("proxy_timeout", out.proxy_timeout, false);
  r.read_duration("tls_handshake_timeout", out.tls_handshake_timeout, false);

  if (const toml::table* t = r.read_table("tls")) {
    TableReader tr(*t, r.path_of("tls"), r.diag());
    TlsConfig tls;
    const bool has_cert = tr.has("certificate");
    const bool has_key = tr.has("private_key");
    const bool cert_ok = read_file_path(tr, "certificate", base, true, tls.certificate);
    const bool key_ok = read_file_path(tr, "private_key", base, true, tls.private_key);
    if (!has_cert) tr.error_here("certificate is required");
    if (!has_key) tr.error_here("private_key is required");
    if (cert_ok && key_ok) out.tls = std::move(tls);
    tr.finish();
  }
}

void read_dns(TableReader& r, const fs::path& base, DnsConfig& out) {
  // A server without ":PORT" is on port 53, as in resolv.conf ("192.0.2.53", "2001:db8::53",
  // "[2001:db8::53]").
  std::vector<StringItem> items;
  r.read_string_array("servers", items);
  for (auto& item : items) {
    std::string text = item.value;
    if (core::IpAddress::parse(text)) {
      text = text.find(':') == std::string::npos ? text + ":53" : "[" + text + "]:53";
    } else if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
      text += ":53";
    }
    auto parsed = parse_host_port(text, false);
    if (!parsed) {
      r.diag().error(item.line, item.path + ": bad server address " + quote(item.value) + ": " + parsed.error());
      continue;
    }
    out.servers.push_back(parsed->text());
  }
  r.read_duration("timeout", out.timeout, false);
  r.read_count("cache_entries", out.cache_entries, 0);
  std::string anchor;
  if (r.read_string("trust_anchor_file", anchor)) {
    if (anchor.empty()) {
      out.trust_anchor_file.clear();  // validation off
    } else {
      read_file_path(r, "trust_anchor_file", base, true, out.trust_anchor_file);
    }
  }
}

// [relay] tls_policy = { "example.net" = "verify", ... }: the outbound TLS override per
// destination domain (relay/tls_policy.hpp).
void read_tls_policy(TableReader& r, std::vector<std::pair<std::string, std::string>>& out) {
  const toml::table* t = r.read_table("tls_policy");
  if (t == nullptr) return;
  static constexpr std::string_view kModes[] = {"dane", "mta-sts", "verify", "may", "none"};
  for (const auto& [key, node] : *t) {
    const int line = line_of(node);
    const std::string name(key.str());
    auto ascii = core::domain_to_ascii(name);
    if (!ascii || ascii->find('.') == std::string::npos) {
      r.error(line, "tls_policy", "bad domain " + quote(name));
      continue;
    }
    const auto* mode = node.as_string();
    if (mode == nullptr ||
        std::find(std::begin(kModes), std::end(kModes), mode->get()) == std::end(kModes)) {
      r.error(line, "tls_policy",
              name + ": expected \"dane\", \"mta-sts\", \"verify\", \"may\" or \"none\"");
      continue;
    }
    out.emplace_back(std::move(*ascii), mode->get());
  }
}

void read_relay(TableReader& r, const fs::path& base, RelayConfig& out) {
  r.read_count("port", out.port, 1);
  read_domain_name(r, "helo_name", out.helo_name);
  r.read_duration("connect_timeout", out.connect_timeout, false);
  r.read_duration("commit_timeout", out.commit_timeout, false);
  r.read_duration("command_timeout", out.command_timeout, false);
  r.read_duration("data_start_timeout", out.data_start_timeout, false);
  r.read_duration("data_block_timeout", out.data_block_timeout, false);
  r.read_duration("final_reply_timeout", out.final_reply_timeout, false);
  read_ip_list(r, "source_ipv4", false, out.source_ipv4);
  read_ip_list(r, "source_ipv6", true, out.source_ipv6);
  r.read_count("max_mx_hosts", out.max_mx_hosts, 1);
  r.read_count("max_addresses", out.max_addresses, 1);
  if (r.read_string("address_family", out.address_family) &&
      out.address_family != "ipv6_first" && out.address_family != "ipv4_first" &&
      out.address_family != "ipv4_only" && out.address_family != "ipv6_only") {
    r.error(line_of_key(r, "address_family"), "address_family",
            "unknown address_family " + quote(out.address_family) +
                " (expected ipv6_first, ipv4_first, ipv4_only or ipv6_only)");
  }
  read_domain_list(r, "ipv4_only", out.ipv4_only);
  r.read_bool("verify_certificates", out.verify_certificates);
  if (std::string ca; r.read_string("tls_ca_file", ca) && !ca.empty()) {  // "": the system's only
    read_file_path(r, "tls_ca_file", base, true, out.tls_ca_file);
  }
  read_tls_policy(r, out.tls_policy);
  r.read_bool("mta_sts", out.mta_sts);
  r.read_duration("mta_sts_fetch_timeout", out.mta_sts_fetch_timeout, false);
  r.read_count("mta_sts_max_policy_size", out.mta_sts_max_policy_size, 1);
  r.read_count("mta_sts_port", out.mta_sts_port, 1);
}

void read_auth(TableReader& r, AuthConfig& out, const std::string& server_user) {
  std::string id;
  if (r.read_string("authserv_id", id)) {
    if (is_token(id)) {
      out.authserv_id = std::move(id);
    } else {
      r.error(line_of_key(r, "authserv_id"), "authserv_id",
              "bad authserv_id " + quote(id) + ": must be one token such as a host name (RFC 8601 §2.2)");
    }
  }
  r.read_bool("dmarc_enforce", out.dmarc_enforce);
  read_quarantine_action(r, out.quarantine);
  read_domain_list(r, "trusted_arc_sealers", out.trusted_arc_sealers);
  read_domain_list(r, "dnsbl", out.dnsbl);
  int64_t helpers = out.spf_helpers;
  if (r.read_integer("spf_helpers", helpers, 1, 64)) out.spf_helpers = static_cast<int>(helpers);
  r.read_duration("spf_timeout", out.spf_timeout, false);
  r.read_count("spf_per_client", out.spf_per_client, 1);
  r.read_count("spf_queue_limit", out.spf_queue_limit, 1);
  if (r.read_string("spf_helper_user", out.spf_helper_user)) {
    if (out.spf_helper_user.empty() || out.spf_helper_user == "root") {
      r.error(line_of_key(r, "spf_helper_user"), "spf_helper_user",
              "spf_helper_user must name an unprivileged user (SPF helpers never run as root)");
    } else if (out.spf_helper_user == server_user) {
      r.error(line_of_key(r, "spf_helper_user"), "spf_helper_user",
              "spf_helper_user must differ from server.user: a helper subverted by a hostile SPF "
              "record could otherwise read the keys and the spool");
    }
  }
  r.read_duration("lookup_timeout", out.lookup_timeout, false);
  if (r.read_string("spf_launcher_socket", out.spf_launcher_socket) && !out.spf_launcher_socket.empty()) {
    // sockaddr_un's sun_path holds 107 octets and a terminating NUL (unix(7)).
    if (out.spf_launcher_socket.front() != '/' || out.spf_launcher_socket.size() > 107) {
      r.error(line_of_key(r, "spf_launcher_socket"), "spf_launcher_socket",
              "must be an absolute path of at most 107 bytes (unix(7))");
    }
  }
}

bool read_quarantine_action(TableReader& r, QuarantineAction& out) {
  std::string action;
  if (!r.read_string("quarantine", action)) return false;
  if (action == "forward") {
    out = QuarantineAction::forward;
  } else if (action == "reject") {
    out = QuarantineAction::reject;
  } else {
    r.error(line_of_key(r, "quarantine"), "quarantine",
            "unknown quarantine action " + quote(action) + ": expected \"forward\" or \"reject\"");
    return false;
  }
  return true;
}

void read_srs(TableReader& r, SrsConfig& out) {
  read_domain_name(r, "domain", out.domain);
  std::vector<StringItem> secrets;
  const bool secrets_ok = r.read_string_array("secrets", secrets);
  for (auto& secret : secrets) {
    if (secret.value.empty()) {
      r.diag().error(secret.line, secret.path + ": must not be empty");
      continue;
    }
    out.secrets.push_back(std::move(secret.value));
  }
  r.read_duration("max_age", out.max_age, false);
  r.read_bool("bounces_only", out.bounces_only);
  int64_t hash_length = 0;
  if (r.read_integer("hash_length", hash_length, 4, 10,
                     "4 is libsrs2's length, 10 the 60 bits a hash can carry here")) {
    out.hash_length = static_cast<int>(hash_length);
  }
  r.read_bool("accept_legacy_hash", out.accept_legacy_hash);
  r.read_integer("max_failed_reversals", out.max_failed_reversals, 1);
  r.read_duration("failed_reversal_window", out.failed_reversal_window, false);
  // SRS is on when a domain is set, and then needs a key to sign with; keys alone are a mistake.
  if (r.has("domain") && !r.has("secrets")) r.error_here("secrets are required when domain is set");
  if (r.has("domain") && secrets_ok && secrets.empty()) {
    r.error(line_of_key(r, "secrets"), "secrets", "must name at least one secret (the first signs)");
  }
  if (!r.has("domain") && !secrets.empty()) r.error_here("domain is required when secrets are set");
}

bool read_from_rewrite_mode(TableReader& r, FromRewriteMode& out) {
  std::string mode;
  if (!r.read_string("from_rewrite", mode)) return false;
  if (mode == "never") {
    out = FromRewriteMode::never;
  } else if (mode == "when-needed") {
    out = FromRewriteMode::when_needed;
  } else if (mode == "always") {
    out = FromRewriteMode::always;
  } else {
    r.error(line_of_key(r, "from_rewrite"), "from_rewrite",
            "unknown mode " + quote(mode) + ": expected \"never\", \"when-needed\" or \"always\"");
    return false;
  }
  return true;
}

void read_from_rewrite(TableReader& r, FromRewriteConfig& out) {
  read_domain_name(r, "domain", out.domain);
  Duration max_age = out.reply_max_age;
  if (r.read_duration("reply_max_age", max_age, false)) {
    // The reply address carries the day mod 1024 (srs/hash): a longer age would wrap.
    if (max_age < std::chrono::hours(24) || max_age > std::chrono::hours(24 * 1000)) {
      r.error(line_of_key(r, "reply_max_age"), "reply_max_age",
              "must be from 1d to 1000d (the address carries the day modulo 1024)");
    } else {
      out.reply_max_age = max_age;
    }
  }
}

void read_dkim(TableReader& r, const fs::path& base, std::vector<DkimKeyConfig>& out) {
  const toml::array* keys = r.read_table_array("key");
  if (keys == nullptr) return;
  std::map<std::pair<std::string, std::string>, int> seen;  // (domain, selector) → line
  for (size_t i = 0; i < keys->size(); ++i) {
    const toml::table* t = keys->get(i)->as_table();
    if (t == nullptr) continue;
    TableReader kr(*t, r.path_of("key") + "[" + std::to_string(i) + "]", r.diag());
    DkimKeyConfig key;
    key.line = kr.line();
    const bool domain_ok = read_domain_name(kr, "domain", key.domain);
    bool selector_ok = false;
    if (kr.read_string("selector", key.selector)) {
      selector_ok = is_selector(key.selector);
      if (!selector_ok) {
        kr.error(line_of_key(kr, "selector"), "selector",
                 "bad selector " + quote(key.selector) +
                     ": expected labels of letters, digits and hyphens "
                     "(RFC 6376 §3.1)");
      }
    }
    if (kr.read_string("algorithm", key.algorithm) && key.algorithm != "rsa-sha256" &&
        key.algorithm != "ed25519-sha256") {
      kr.error(line_of_key(kr, "algorithm"), "algorithm",
               "unknown algorithm " + quote(key.algorithm) + " (expected rsa-sha256 or ed25519-sha256)");
    }
    read_file_path(kr, "private_key", base, true, key.private_key);
    if (!kr.has("domain")) kr.error_here("domain is required");
    if (!kr.has("selector")) kr.error_here("selector is required");
    if (!kr.has("private_key")) kr.error_here("private_key is required");
    if (domain_ok && selector_ok) {
      auto [it, inserted] =
          seen.emplace(std::make_pair(key.domain, core::ascii_lower(key.selector)), key.line);
      if (!inserted) {
        kr.error_here("duplicate key for selector " + quote(key.selector) + " of " + key.domain +
                      " (first at line " + std::to_string(it->second) + ")");
      }
    }
    kr.finish();
    out.push_back(std::move(key));
  }
}

void read_arc(TableReader& r, const fs::path& base, ArcConfig& out) {
  r.read_bool("enabled", out.enabled);
  read_domain_name(r, "domain", out.domain);
  if (r.read_string("selector", out.selector) && !is_selector(out.selector)) {
    r.error(line_of_key(r, "selector"), "selector",
            "bad selector " + quote(out.selector) +
                ": expected labels of letters, digits and hyphens "
                "(RFC 6376 §3.1)");
  }
  read_file_path(r, "private_key", base, out.enabled, out.private_key);
  if (out.enabled) {
    for (std::string_view key : {"domain", "selector", "private_key"}) {
      if (!r.has(key)) r.error_here(std::string(key) + " is required when enabled = true");
    }
  }
}

void read_queue(TableReader& r, const fs::path& base, QueueConfig& out) {
  std::string directory;
  if (r.read_string("directory", directory)) {
    if (directory.empty()) {
      r.error(line_of_key(r, "directory"), "directory", "must not be empty");
    } else {
      out.directory = resolve_path(base, directory);
    }
  }
  r.read_duration("retry_interval", out.retry_interval, false);
  r.read_duration("max_retry_interval", out.max_retry_interval, false);
  r.read_duration("max_lifetime", out.max_lifetime, false);
  if (r.read_duration("session_budget", out.session_budget, false) &&
      out.session_budget >= std::chrono::minutes(10)) {
    r.error(line_of_key(r, "session_budget"), "session_budget",
            "must be below 10m: the sender waits 10 minutes for the reply to DATA "
            "(RFC 5321 §4.5.3.2.6)");
  }
  r.read_count("destination_concurrency", out.destination_concurrency, 1);
  r.read_count("min_free_space", out.min_free_space, 0);
  r.read_count("min_free_inodes", out.min_free_inodes, 0);
  std::string socket;
  if (r.read_string("control_socket", socket) && !socket.empty()) {
    out.control_socket = resolve_path(base, socket);
  }
}

void read_metrics(TableReader& r, MetricsConfig& out) {
  r.read_duration("request_timeout", out.request_timeout, false);
  r.read_count("max_request_header", out.max_request_header, kMinRequestHeader,
               "a request line and a Host field must fit");
  r.read_duration("dns_failing_for", out.dns_failing_for, false);
  std::string listen;
  if (!r.read_string("listen", listen) || listen.empty()) return;
  auto parsed = parse_host_port(listen, true);
  if (!parsed) {
    r.error(line_of_key(r, "listen"), "listen",
            "bad listen address " + quote(listen) + ": " + parsed.error());
    return;
  }
  out.listen = parsed->text();
}

// [reports] (the TLS-RPT keys; the DMARC report keys follow in their own block).
void read_reports(TableReader& r, ReportsConfig& out) {
  if (r.read_string("sender", out.sender)) {
    const auto at = out.sender.find('@');
    const bool ok = !out.sender.empty() && out.sender.find_first_of(" <>\r\n\"") == std::string::npos &&
                    at != 0 && (at == std::string::npos || out.sender.find('@', at + 1) == std::string::npos) &&
                    (at == std::string::npos || at + 1 < out.sender.size());
    if (!ok) {
      r.error(line_of_key(r, "sender"), "sender",
              "bad sender " + quote(out.sender) + " (a local part, or an address local@domain)");
    }
  }
  r.read_count("max_bytes_per_day", out.max_bytes_per_day, 1024, "a day must hold some records");
  r.read_count("fsync_batch", out.fsync_batch, 1);
  r.read_duration("send_delay", out.send_delay, true);
  r.read_string("organization_name", out.organization_name);
  r.read_string("contact_info", out.contact_info);
  r.read_bool("tls_reports", out.tls_reports);
  // DMARC aggregate reports (RFC 9990).
  r.read_bool("dmarc_reports", out.dmarc_reports);
}

// One of `allowed` for `key`; anything else is an error at its line naming the choices.
static void read_choice(TableReader& r, std::string_view key, std::initializer_list<std::string_view> allowed,
                        std::string_view expected, std::string& out) {
  std::string value;
  if (!r.read_string(key, value)) return;
  for (std::string_view known : allowed) {
    if (value == known) {
      out = std::move(value);
      return;
    }
  }
  r.error(line_of_key(r, key), key, "unknown " + std::string(key) + " " + quote(value) + " (expected " +
                                        std::string(expected) + ")");
}

void read_log(TableReader& r, LogConfig& out) {
  read_choice(r, "level", {"trace", "debug", "info", "warning", "error"},
              "trace, debug, info, warning or error", out.level);
  read_choice(r, "format", {"text", "json"}, "text or json", out.format);
  read_choice(r, "target", {"stderr", "journald"}, "stderr or journald", out.target);
}

// "PREFIX" as ADDRESS/LENGTH (RFC 4632 §3.1, RFC 4291 §2.3) or a bare address.
// Labels of 1-63 letters, digits, '-' or '_', at least two, at most 253 octets (RFC 1035 §2.3.4).
static bool dns_name_ok(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253 || name.find('.') == std::string_view::npos) return false;
  size_t label = 0;
  for (const char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

static bool valid_prefix(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view ip = text.substr(0, slash);
  const bool v4 = is_ipv4(ip);
  if (!v4 && !is_ipv6(ip)) return false;
  if (slash == std::string_view::npos) return true;
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos) return false;
  return std::stoi(std::string(digits)) <= (v4 ? 32 : 128);
}

void read_doctor(TableReader& r, const fs::path& base, DoctorConfig& out) {
  std::vector<StringItem> mx;
  r.read_string_array("inbound_mx", mx);
  for (const auto& item : mx) {
    // "PREFERENCE HOST" (RFC 1035 §3.3.9: a 16-bit preference and a host name).
    const size_t sp = item.value.find(' ');
    const std::string pref = sp == std::string::npos ? "" : item.value.substr(0, sp);
    const std::string host = sp == std::string::npos ? item.value : item.value.substr(item.value.find_first_not_of(' ', sp));
    auto ascii = core::domain_to_ascii(host);
    if (pref.empty() || pref.size() > 5 || pref.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(pref) > 65535 || !ascii) {
      r.diag().error(item.line, item.path + ": " + quote(item.value) +
                                    " is not \"PREFERENCE HOST\" (a number 0-65535, a space, a host name)");
      continue;
    }
    out.inbound_mx.push_back(InboundMx{static_cast<unsigned>(std::stoi(pref)), std::move(*ascii)});
  }
  // An SPF include target is a DNS name, often with an underscore label ("_spf.example.net",
  // RFC 7208 §4.6.1 allows any domain-spec), so host-name (IDNA) rules do not apply.
  std::string include;
  if (r.read_string("spf_include", include)) {
    if (!dns_name_ok(include)) {
      r.error(line_of_key(r, "spf_include"), "spf_include", quote(include) + " is not a domain name");
    } else {
      out.spf_include = core::ascii_lower(include);
      if (out.spf_include.back() == '.') out.spf_include.pop_back();
    }
  }
  std::vector<StringItem> prefixes;
  r.read_string_array("egress_prefixes", prefixes);
  for (auto& item : prefixes) {
    if (!valid_prefix(item.value)) {
      r.diag().error(item.line, item.path + ": " + quote(item.value) + " is not an IPv4 or IPv6 prefix (\"192.0.2.0/24\")");
      continue;
    }
    out.egress_prefixes.push_back(std::move(item.value));
  }
  std::string rua;
  if (r.read_string("dmarc_rua", rua)) {
    if (rua.empty() || !core::parse_mailbox(rua, false)) {
      r.error(line_of_key(r, "dmarc_rua"), "dmarc_rua", quote(rua) + " is not a mailbox (\"dmarc@example.net\")");
    } else {
      out.dmarc_rua = std::move(rua);
    }
  }
  read_file_path(r, "proxy_ranges", base, true, out.proxy_ranges);
  std::vector<StringItem> cnames;
  r.read_string_array("cnames", cnames);
  for (const auto& item : cnames) {
    // "LABEL TARGET": LABEL relative to the served domain (one or more labels), TARGET a name.
    const size_t sp = item.value.find(' ');
    const std::string label = sp == std::string::npos ? "" : item.value.substr(0, sp);
    std::string target = sp == std::string::npos ? "" : item.value.substr(item.value.find_first_not_of(' ', sp));
    if (!target.empty() && target.back() == '.') target.pop_back();
    if (label.empty() || !dns_name_ok(label + ".x") || !dns_name_ok(target)) {
      r.diag().error(item.line, item.path + ": " + quote(item.value) +
                                    " is not \"LABEL TARGET\" (\"mta-sts mta-sts.example.net\")");
      continue;
    }
    out.cnames.push_back(DoctorConfig::Cname{core::ascii_lower(label), core::ascii_lower(target)});
  }
}

}  // namespace hikyaku::config::detail

namespace hikyaku::config {

const char* to_string(FromRewriteMode m) {
  switch (m) {
    case FromRewriteMode::never: return "never";
    case FromRewriteMode::when_needed: return "when-needed";
    case FromRewriteMode::always: return "always";
  }
  return "when-needed";
}

}  // namespace hikyaku::config
