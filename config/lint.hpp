// What a configuration that loads can still get wrong, found before it bites: forwarding loops
// through our own rules (RFC 5321 §6.3), a host name receivers refuse (RFC 5321 §4.1.4), role
// mailboxes without a home (RFC 5321 §4.5.1, RFC 2142), domains that refuse everything, and
// duplicate forward targets. Pure: reads the Config only.
#pragma once
#include <string>

#include "config/config.hpp"
#include "config/loader.hpp"

namespace hikyaku::config {

struct LintFindings {
  ConfigErrors errors;    // the configuration must not be used
  ConfigErrors warnings;  // it works, but probably not as meant
};

// `file` names the findings ("FILE:LINE: ..."); lines come from the rules and domains.
LintFindings lint(const Config& config, const std::string& file);

}  // namespace hikyaku::config
