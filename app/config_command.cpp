// hikyaku config: config::Config back to TOML (conf/hikyaku.toml's schema), defaults included.
#include "app/config_command.hpp"

#include <fmt/format.h>

#include "config/loader.hpp"

namespace hikyaku::app {

namespace {

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04X}", c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string toml_list(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const auto& i : items) quoted.push_back(toml_string(i));
  return "[" + fmt::format("{}", fmt::join(quoted, ", ")) + "]";
}

// The largest unit that divides the duration exactly, as config/loader reads it ("5m", "250ms").
std::string duration(config::Duration d) {
  const long long ms = d.count();
  struct Unit {
    long long ms;
    const char* suffix;
  };
  for (const Unit u : {Unit{86400000, "d"}, Unit{3600000, "h"}, Unit{60000, "m"}, Unit{1000, "s"}}) {
    if (ms != 0 && ms % u.ms == 0) return toml_string(fmt::format("{}{}", ms / u.ms, u.suffix));
  }
  return toml_string(fmt::format("{}ms", ms));
}

// { "example.net" = "verify", ... } (keys quoted: domain names have dots).
std::string toml_inline_table(const std::vector<std::pair<std::string, std::string>>& entries) {
  if (entries.empty()) return "{}";
  std::string out = "{ ";
  for (size_t i = 0; i < entries.size(); ++i) {
    out += (i ? ", " : "") + toml_string(entries[i].first) + " = " + toml_string(entries[i].second);
  }
  return out + " }";
}

std::string boolean(bool b) { return b ? "true" : "false"; }
std::string number(unsigned long long n) { return std::to_string(n); }

std::string quarantine(config::QuarantineAction q) {
  return toml_string(q == config::QuarantineAction::reject ? "reject" : "forward");
}

std::vector<std::string> listen_texts(const std::vector<config::ListenAddress>& all, bool proxy) {
  std::vector<std::string> out;
  for (const auto& l : all) {
    if (l.proxy == proxy) out.push_back(l.text());
  }
  return out;
}

std::string route_target(const config::RouteTarget& t) {
  switch (t.action) {
    case config::RouteAction::forward:
      return fmt::format("{{ action = \"forward\", to = {} }}", toml_list(t.forward_to));
    case config::RouteAction::drop:
      return "{ action = \"drop\" }";
    case config::RouteAction::reject:
      return fmt::format("{{ action = \"reject\", code = {}, text = {} }}", t.reply_code, toml_string(t.reply_text));
  }
  return "{}";
}

void render_domains(const config::Config& c, std::string& out) {
  for (const auto& d : c.domains) {
    out += fmt::format("\n[[domain]]\nname = {}\n", toml_string(d.name));
    if (d.catch_all) out += fmt::format("catch_all = {}\n", route_target(*d.catch_all));
    out += fmt::format("subaddressing = {}\nsubaddress_separator = {}\n", boolean(d.subaddressing),
                       toml_string(d.subaddress_separator));
    if (d.dmarc_enforce) out += fmt::format("dmarc_enforce = {}\n", boolean(*d.dmarc_enforce));
    if (d.quarantine) out += fmt::format("quarantine = {}\n", quarantine(*d.quarantine));
    out += fmt::format("from_rewrite = \"{}\"\n", config::to_string(d.from_rewrite));
    for (const auto& rule : d.rules) {
      out += fmt::format("\n[[domain.rule]]\naddress = {}\n", toml_string(rule.address));
      const auto& t = rule.target;
      switch (t.action) {
        case config::RouteAction::forward:
          out += fmt::format("forward = {}\n", toml_list(t.forward_to));
          break;
        case config::RouteAction::drop:
          out += "action = \"drop\"\n";
          break;
        case config::RouteAction::reject:
          out += fmt::format("action = \"reject\"\ncode = {}\ntext = {}\n", t.reply_code, toml_string(t.reply_text));
          break;
      }
      if (rule.from_rewrite) out += fmt::format("from_rewrite = \"{}\"\n", config::to_string(*rule.from_rewrite));
    }
  }
}

}  // namespace

std::vector<Setting> settings_of(const config::Config& c) {
  std::vector<Setting> s;
  const auto add = [&s](std::string table, std::string key, std::string value) {
    std::string note = value == "\"\"" || value == "[]" ? "not set" : "";
    s.push_back(Setting{std::move(table), std::move(key), std::move(value), std::move(note)});
  };
  const auto derived = [&s](std::string_view key, bool same, std::string_view from) {
    for (auto& setting : s) {
      if (setting.key == key && same && setting.note.empty()) setting.note = "same as " + std::string(from);
    }
  };
  const auto& sv = c.server;
  add("server", "hostname", toml_string(sv.hostname));
  add("server", "user", toml_string(sv.user));
  add("server", "postmaster", toml_string(sv.postmaster));
  add("server", "listen", toml_list(listen_texts(sv.listen, false)));
  add("server", "proxy_listen", toml_list(listen_texts(sv.listen, true)));
  std::vector<std::string> proxies;
  for (const auto& p : sv.trusted_proxies) proxies.push_back(p.to_string());
  add("server", "trusted_proxies", toml_list(proxies));
  add("server", "max_command_line", number(sv.max_command_line));
  add("server", "max_text_line", number(sv.max_text_line));
  add("server", "max_message_size", number(sv.max_message_size));
  add("server", "max_inflight_bytes", number(sv.max_inflight_bytes));
  add("server", "max_recipients", number(sv.max_recipients));
  add("server", "max_hops", number(sv.max_hops));
  add("server", "command_timeout", duration(sv.command_timeout));
  add("server", "data_timeout", duration(sv.data_timeout));
  add("server", "max_connections", number(sv.max_connections));
  add("server", "max_connections_per_ip", number(sv.max_connections_per_ip));
  add("server", "max_errors", number(sv.max_errors));
  add("server", "max_junk_commands", number(sv.max_junk_commands));
  add("server", "max_session_time", duration(sv.max_session_time));
  add("server", "shutdown_grace", duration(sv.shutdown_grace));
  add("server", "reload_on_change", boolean(sv.reload_on_change));
  add("server", "reload_quiet", duration(sv.reload_quiet));
  add("server", "proxy_timeout", duration(sv.proxy_timeout));
  add("server", "tls_handshake_timeout", duration(sv.tls_handshake_timeout));
  add("server.tls", "certificate", toml_string(sv.tls ? sv.tls->certificate : ""));
  add("server.tls", "private_key", toml_string(sv.tls ? sv.tls->private_key : ""));

  add("dns", "servers", toml_list(c.dns.servers));
  add("dns", "timeout", duration(c.dns.timeout));
  add("dns", "cache_entries", number(c.dns.cache_entries));
  add("dns", "trust_anchor_file", toml_string(c.dns.trust_anchor_file));

  const auto& r = c.relay;
  add("relay", "port", number(r.port));
  add("relay", "helo_name", toml_string(r.helo_name));
  add("relay", "connect_timeout", duration(r.connect_timeout));
  add("relay", "command_timeout", duration(r.command_timeout));
  add("relay", "data_start_timeout", duration(r.data_start_timeout));
  add("relay", "data_block_timeout", duration(r.data_block_timeout));
  add("relay", "final_reply_timeout", duration(r.final_reply_timeout));
  add("relay", "commit_timeout", duration(r.commit_timeout));
  add("relay", "source_ipv4", toml_list(r.source_ipv4));
  add("relay", "source_ipv6", toml_list(r.source_ipv6));
  add("relay", "max_mx_hosts", number(r.max_mx_hosts));
  add("relay", "max_addresses", number(r.max_addresses));
  add("relay", "address_family", toml_string(r.address_family));
  add("relay", "ipv4_only", toml_list(r.ipv4_only));
  add("relay", "verify_certificates", boolean(r.verify_certificates));
  add("relay", "tls_ca_file", toml_string(r.tls_ca_file));
  add("relay", "tls_policy", toml_inline_table(r.tls_policy));
  add("relay", "mta_sts", boolean(r.mta_sts));
  add("relay", "mta_sts_fetch_timeout", duration(r.mta_sts_fetch_timeout));
  add("relay", "mta_sts_max_policy_size", number(r.mta_sts_max_policy_size));
  add("relay", "mta_sts_port", number(r.mta_sts_port));
  derived("helo_name", r.helo_name == sv.hostname, "server.hostname");

  const auto& a = c.auth;
  add("auth", "authserv_id", toml_string(a.authserv_id));
  add("auth", "dmarc_enforce", boolean(a.dmarc_enforce));
  add("auth", "quarantine", quarantine(a.quarantine));
  add("auth", "trusted_arc_sealers", toml_list(a.trusted_arc_sealers));
  add("auth", "dnsbl", toml_list(a.dnsbl));
  add("auth", "spf_helpers", number(static_cast<unsigned long long>(a.spf_helpers)));
  add("auth", "spf_timeout", duration(a.spf_timeout));
  add("auth", "spf_helper_user", toml_string(a.spf_helper_user));
  add("auth", "spf_launcher_socket", toml_string(a.spf_launcher_socket));
  add("auth", "spf_per_client", number(a.spf_per_client));
  add("auth", "spf_queue_limit", number(a.spf_queue_limit));
  add("auth", "lookup_timeout", duration(a.lookup_timeout));
  derived("authserv_id", a.authserv_id == sv.hostname, "server.hostname");

  add("srs", "domain", toml_string(c.srs.domain));
  // The secrets themselves are never printed: the output is meant to be pasted into reports.
  add("srs", "secrets", c.srs.secrets.empty() ? "[]" : fmt::format("[\"...\"]  # {} secret(s), not shown", c.srs.secrets.size()));
  add("srs", "max_age", duration(c.srs.max_age));
  add("srs", "bounces_only", boolean(c.srs.bounces_only));
  add("srs", "hash_length", number(static_cast<unsigned long long>(c.srs.hash_length)));
  add("srs", "accept_legacy_hash", boolean(c.srs.accept_legacy_hash));
  add("srs", "max_failed_reversals", number(static_cast<unsigned long long>(c.srs.max_failed_reversals)));
  add("srs", "failed_reversal_window", duration(c.srs.failed_reversal_window));

  add("from_rewrite", "domain", toml_string(c.from_rewrite.domain));
  if (!c.from_rewrite.domain.empty() && c.from_rewrite.domain == c.srs.domain) s.back().note = "same as srs.domain";
  add("from_rewrite", "reply_max_age", duration(c.from_rewrite.reply_max_age));

  add("arc", "enabled", boolean(c.arc.enabled));
  add("arc", "domain", toml_string(c.arc.domain));
  add("arc", "selector", toml_string(c.arc.selector));
  add("arc", "private_key", toml_string(c.arc.private_key));

  const auto& q = c.queue;
  add("queue", "directory", toml_string(q.directory));
  add("queue", "retry_interval", duration(q.retry_interval));
  add("queue", "max_retry_interval", duration(q.max_retry_interval));
  add("queue", "max_lifetime", duration(q.max_lifetime));
  add("queue", "session_budget", duration(q.session_budget));
  add("queue", "destination_concurrency", number(q.destination_concurrency));
  add("queue", "control_socket", toml_string(q.control_socket));
  add("queue", "min_free_space", number(q.min_free_space));
  add("queue", "min_free_inodes", number(q.min_free_inodes));

  add("metrics", "listen", toml_string(c.metrics.listen));
  add("metrics", "request_timeout", duration(c.metrics.request_timeout));
  add("metrics", "max_request_header", number(c.metrics.max_request_header));
  add("metrics", "dns_failing_for", duration(c.metrics.dns_failing_for));
  const auto& rp = c.reports;
  add("reports", "sender", toml_string(rp.sender));
  add("reports", "max_bytes_per_day", number(rp.max_bytes_per_day));
  add("reports", "fsync_batch", number(rp.fsync_batch));
  add("reports", "send_delay", duration(rp.send_delay));
  add("reports", "organization_name", toml_string(rp.organization_name));
  add("reports", "contact_info", toml_string(rp.contact_info));
  add("reports", "tls_reports", boolean(rp.tls_reports));
  add("reports", "dmarc_reports", boolean(rp.dmarc_reports));
  add("log", "level", toml_string(c.log.level));
  add("log", "format", toml_string(c.log.format));
  add("log", "target", toml_string(c.log.target));

  const auto& d = c.doctor;
  std::vector<std::string> mx;
  for (const auto& m : d.inbound_mx) mx.push_back(fmt::format("{} {}", m.preference, m.host));
  add("doctor", "inbound_mx", toml_list(mx));
  add("doctor", "spf_include", toml_string(d.spf_include));
  add("doctor", "egress_prefixes", toml_list(d.egress_prefixes));
  add("doctor", "dmarc_rua", toml_string(d.dmarc_rua));
  add("doctor", "proxy_ranges", toml_string(d.proxy_ranges));
  std::vector<std::string> cnames;
  for (const auto& n : d.cnames) cnames.push_back(n.label + " " + n.target);
  add("doctor", "cnames", toml_list(cnames));
  derived("inbound_mx", d.inbound_mx.size() == 1 && d.inbound_mx[0].preference == 10 && d.inbound_mx[0].host == sv.hostname,
          "10 server.hostname");
  derived("spf_include", d.spf_include == (c.srs.domain.empty() ? sv.hostname : c.srs.domain),
          c.srs.domain.empty() ? "server.hostname" : "srs.domain");
  return s;
}

std::string render_config(const config::Config& c, bool changed_only) {
  const std::vector<Setting> now = settings_of(c);
  const std::vector<Setting> defaults = settings_of(config::Config{});
  std::string out = fmt::format("# the configuration in force from {}{}\n", c.source_path,
                                changed_only ? " (settings that differ from the defaults)" : ", defaults included");
  std::string table;
  for (size_t i = 0; i < now.size(); ++i) {
    const Setting& s = now[i];
    const bool is_default = i < defaults.size() && defaults[i].key == s.key && defaults[i].value == s.value;
    if (changed_only && (is_default || !s.note.empty())) continue;
    if (s.table != table) {
      table = s.table;
      // A table with nothing set is a comment too: "[server.tls]" alone would ask for its keys.
      bool any_set = false;
      for (const auto& other : now) any_set = any_set || (other.table == table && other.note.empty());
      out += any_set ? fmt::format("\n[{}]\n", table) : fmt::format("\n# [{}]\n", table);
    }
    if (s.note.empty()) {
      out += fmt::format("{} = {}\n", s.key, s.value);
    } else {
      out += fmt::format("# {} = {}  ({})\n", s.key, s.value, s.note);
    }
  }
  for (const auto& k : c.dkim_keys) {
    out += fmt::format("\n[[dkim.key]]\ndomain = {}\nselector = {}\nalgorithm = {}\nprivate_key = {}\n",
                       toml_string(k.domain), toml_string(k.selector), toml_string(k.algorithm),
                       toml_string(k.private_key));
  }
  render_domains(c, out);
  return out;
}

std::vector<std::string> domain_summaries(const config::Config& c) {
  std::vector<std::string> out;
  for (const auto& d : c.domains) {
    const bool enforce = d.dmarc_enforce.value_or(c.auth.dmarc_enforce);
    const auto q = d.quarantine.value_or(c.auth.quarantine);
    std::string catch_all = "none (550 5.1.1)";
    if (d.catch_all) {
      catch_all = d.catch_all->action == config::RouteAction::forward ? "forward"
                  : d.catch_all->action == config::RouteAction::drop  ? "drop"
                                                                       : fmt::format("reject {}", d.catch_all->reply_code);
    }
    out.push_back(fmt::format("domain {}: rules={} catch-all={} subaddressing={} dmarc={} from_rewrite={}", d.name,
                              d.rules.size(),
                              catch_all,
                              d.subaddressing ? "\"" + d.subaddress_separator + "\"" : std::string("off"),
                              !enforce ? "not enforced"
                              : q == config::QuarantineAction::reject ? "enforced (quarantine refused)"
                                                                      : "enforced",
                              config::to_string(d.from_rewrite)));
  }
  return out;
}

int config_command(const std::string& config_path, bool changed_only) {
  auto loaded = config::load_file(config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  fmt::print("{}", render_config(*loaded, changed_only));
  return 0;
}

}  // namespace hikyaku::app
