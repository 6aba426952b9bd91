// `hikyaku dns-records -c FILE DOMAIN` and `hikyaku postmaster -c FILE` (DESIGN §4): what a
// served domain's owner publishes for this Hikyaku, as zone-file lines (RFC 1035 §5) with fully
// qualified owners and a comment each; and what a receiving postmaster allowlists.
#pragma once
#include <string>

#include "config/config.hpp"
#include "doctor/doctor.hpp"

namespace hikyaku::app {

// The zone-file text for `domain` (canonical) and the forwarding side. Pure, for tests.
std::string dns_records_text(const config::Config& config, const doctor::OurSide& ours, const std::string& domain);
std::string postmaster_text(const config::Config& config, const doctor::OurSide& ours);

int dns_records_command(const std::string& config_path, const std::string& domain);
int postmaster_command(const std::string& config_path);

}  // namespace hikyaku::app
