// Our side of a served domain's DNS, from the configuration: inbound MX hosts, the SPF include
// name, egress addresses and prefixes, HELO name, SRS domain, and the public TXT records of the
// DKIM keys and the ARC key (RFC 6376 §3.6.1, RFC 8463 §4) computed from their private keys.
// What `dns-records`, `postmaster` and `doctor -c` share.
#pragma once
#include <string>

#include "config/config.hpp"
#include "core/expected.hpp"
#include "doctor/doctor.hpp"

namespace hikyaku::app {

// Reads the key files; an unreadable or unusable key is an error naming the file.
core::Expected<doctor::OurSide, std::string> our_side(const config::Config& config);

}  // namespace hikyaku::app
