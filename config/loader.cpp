// TOML configuration → Config, or every error found as "FILE:LINE: message". Parses with
// toml++ (syntax errors carry its line), then walks each table of the schema; no exception
// leaves this file. The schema and every default are documented in conf/hikyaku.toml.
#include "config/loader.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <new>
#include <sstream>

#include "config/files.hpp"
#include "config/lint.hpp"
#include "config/reader.hpp"
#include "config/sections.hpp"
#include "config/toml_guard.hpp"
#include "config/values.hpp"

namespace hikyaku::config {

std::string ConfigError::text() const {
  if (line > 0) return file + ":" + std::to_string(line) + ": " + message;
  return file + ": " + message;
}

namespace {

using detail::Diagnostics;
using detail::TableReader;

// Reads the top-level table `key` with `read` when present; its unknown keys are reported.
template <class Read>
void section(TableReader& root, std::string_view key, Read&& read) {
  if (const toml::table* t = root.read_table(key)) {
    TableReader r(*t, std::string(key), root.diag());
    read(r);
    r.finish();
  }
}

void read_config(const toml::table& document, const std::filesystem::path& base, Diagnostics& diag,
                 Config& cfg) {
  TableReader root(document, "", diag);
  section(root, "server", [&](TableReader& r) { detail::read_server(r, base, cfg.server); });
  section(root, "dns", [&](TableReader& r) { detail::read_dns(r, base, cfg.dns); });
  section(root, "relay", [&](TableReader& r) { detail::read_relay(r, base, cfg.relay); });
  section(root, "auth", [&](TableReader& r) { detail::read_auth(r, cfg.auth, cfg.server.user); });
  section(root, "srs", [&](TableReader& r) { detail::read_srs(r, cfg.srs); });
  section(root, "dkim", [&](TableReader& r) { detail::read_dkim(r, base, cfg.dkim_keys); });
  section(root, "arc", [&](TableReader& r) { detail::read_arc(r, base, cfg.arc); });
  section(root, "queue", [&](TableReader& r) { detail::read_queue(r, base, cfg.queue); });
  section(root, "metrics", [&](TableReader& r) { detail::read_metrics(r, cfg.metrics); });
  section(root, "reports", [&](TableReader& r) { detail::read_reports(r, cfg.reports); });
  section(root, "log", [&](TableReader& r) { detail::read_log(r, cfg.log); });
  section(root, "doctor", [&](TableReader& r) { detail::read_doctor(r, base, cfg.doctor); });
  detail::read_domains(root, cfg.domains);
  root.finish();

  // Names that default to the server's own hostname.
  if (cfg.relay.helo_name.empty()) cfg.relay.helo_name = cfg.server.hostname;
  if (cfg.auth.authserv_id.empty()) cfg.auth.authserv_id = cfg.server.hostname;
  // What served domains publish, from the rest of the configuration unless given.
  if (cfg.doctor.inbound_mx.empty()) cfg.doctor.inbound_mx.push_back(InboundMx{10, cfg.server.hostname});
  if (cfg.doctor.spf_include.empty()) {
    cfg.doctor.spf_include = cfg.srs.domain.empty() ? cfg.server.hostname : cfg.srs.domain;
  }
  // The reports' sender: a bare local part is at the forwarding domain.
  if (cfg.reports.sender.find('@') == std::string::npos) {
    std::string domain = cfg.srs.domain;
    if (domain.empty() && !cfg.dkim_keys.empty()) domain = cfg.dkim_keys.front().domain;
    if (domain.empty()) domain = cfg.server.hostname;
    cfg.reports.sender_address = cfg.reports.sender + "@" + domain;
  } else {
    cfg.reports.sender_address = cfg.reports.sender;
  }
  if (cfg.doctor.egress_prefixes.empty()) {
    for (const auto& ip : cfg.relay.source_ipv4) cfg.doctor.egress_prefixes.push_back(ip + "/32");
    for (const auto& ip : cfg.relay.source_ipv6) cfg.doctor.egress_prefixes.push_back(ip + "/128");
  }
}

// The line of a [[domain.rule]] header that comes before every [[domain]] header (toml++ then
// reports the later [[domain]] as redefining a table, which names neither), else 0.
int rule_before_any_domain(std::string_view text) {
  int line = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    ++line;
    std::string_view l = text.substr(start, end - start);
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
    std::string header;
    for (const char c : l) {
      if (c == '#') break;
      if (c != ' ' && c != '\t' && c != '\r') header += c;
    }
    if (header == "[[domain]]") return 0;
    if (header == "[[domain.rule]]") return line;
    start = end + 1;
  }
  return 0;
}

core::Expected<Config, ConfigErrors> load(std::string_view toml, const std::string& name,
                                          std::string source_path) {
  Diagnostics diag(name);
  try {
    Config cfg;
    cfg.source_path = std::move(source_path);
    // toml++ 3.3.0 sees the text with the code points it cannot classify substituted.
    const detail::ProtectedToml input = detail::protect_for_toml(toml);
    if (input.private_use_line != 0) {
      diag.error(input.private_use_line,
                 "TOML syntax error: private-use characters U+F0000 to U+FFFFF are not supported");
      return core::unexpected(diag.take());
    }
    toml::table document;
    try {
      document = toml::parse(std::string_view(input.text), std::string_view(name));
    } catch (const toml::parse_error& e) {
      if (const int line = rule_before_any_domain(toml); line != 0) {
        diag.error(line, "[[domain.rule]] before any [[domain]]: a rule belongs to the [[domain]] table above it; "
                         "move it below its domain's name = \"...\"");
        return core::unexpected(diag.take());
      }
      diag.error(
          static_cast<int>(e.source().begin.line),
          "TOML syntax error: " + detail::escape_controls(detail::restore_toml_message(e.description())));
      return core::unexpected(diag.take());
    }
    read_config(document, detail::base_directory(name), diag, cfg);
    if (!diag.empty()) return core::unexpected(diag.take());
    LintFindings findings = lint(cfg, name);
    if (!findings.errors.empty()) return core::unexpected(std::move(findings.errors));
    for (const auto& w : findings.warnings) cfg.warnings.push_back(w.text());
    return cfg;
  } catch (const std::bad_alloc&) {
    diag.error(0, "out of memory while loading the configuration");
  } catch (const std::exception& e) {
    diag.error(0, std::string("internal error while loading the configuration: ") + e.what());
  } catch (...) {
    diag.error(0, "internal error while loading the configuration");
  }
  return core::unexpected(diag.take());
}

}  // namespace

core::Expected<Config, ConfigErrors> load_file(const std::string& path) {
  try {
    if (auto problem = detail::check_readable_file(path)) {
      return core::unexpected(ConfigErrors{ConfigError{path, 0, *problem}});
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return core::unexpected(ConfigErrors{ConfigError{path, 0, "cannot read the file"}});
    }
    const std::string absolute =
        detail::resolve_path(detail::base_directory(path), std::filesystem::path(path).filename().string());
    return load(text.str(), path, absolute);
  } catch (const std::exception& e) {
    return core::unexpected(
        ConfigErrors{ConfigError{path, 0, std::string("cannot read the file: ") + e.what()}});
  }
}

core::Expected<Config, ConfigErrors> load_string(std::string_view toml, const std::string& name) {
  return load(toml, name, name);
}

}  // namespace hikyaku::config
