// Private: one reader per top-level TOML table of the schema documented in conf/hikyaku.toml.
// Each reads its table's keys into the Config, records every problem, and leaves defaults for
// absent keys; relative paths are resolved against `base` (the configuration's directory).
#pragma once
#include <filesystem>
#include <vector>

#include "config/config.hpp"
#include "config/reader.hpp"
#include "core/address.hpp"

namespace hikyaku::config::detail {

void read_server(TableReader& r, const std::filesystem::path& base, ServerConfig& out);
void read_dns(TableReader& r, const std::filesystem::path& base, DnsConfig& out);
void read_relay(TableReader& r, const std::filesystem::path& base, RelayConfig& out);
// server_user: [server] user, which the SPF helpers must not share.
void read_auth(TableReader& r, AuthConfig& out, const std::string& server_user);
void read_srs(TableReader& r, SrsConfig& out);
void read_dkim(TableReader& r, const std::filesystem::path& base, std::vector<DkimKeyConfig>& out);
void read_arc(TableReader& r, const std::filesystem::path& base, ArcConfig& out);
void read_queue(TableReader& r, const std::filesystem::path& base, QueueConfig& out);
void read_metrics(TableReader& r, MetricsConfig& out);
void read_reports(TableReader& r, ReportsConfig& out);
void read_log(TableReader& r, LogConfig& out);
void read_doctor(TableReader& r, const std::filesystem::path& base, DoctorConfig& out);
// The [[domain]] array of the top-level table `root`, with its rules and catch-alls.
void read_domains(TableReader& root, std::vector<DomainConfig>& out);

// Shared helpers.
// `quarantine = "forward" | "reject"` of [auth] and [[domain]]; true when present and valid.
bool read_quarantine_action(TableReader& r, QuarantineAction& out);
// A domain name converted to lowercase A-labels (IDNA 2008 via core::domain_to_ascii).
bool read_domain_name(TableReader& r, std::string_view key, std::string& out);
// `"NAME" is not a valid domain name` (or too long), for a core::domain_to_ascii failure.
std::string bad_domain_message(std::string_view name, core::AddressError error);
// A path to a key or certificate: resolved against `base`; when `check`, it must be readable.
bool read_file_path(TableReader& r, std::string_view key, const std::filesystem::path& base, bool check,
                    std::string& out);

}  // namespace hikyaku::config::detail
