// `hikyaku srs forward ADDR` / `hikyaku srs reverse ADDR` (-c FILE): the configured SRS
// rewrite, for postmasters tracing a bounce (DESIGN §4).
#pragma once
#include <string>

namespace hikyaku::app {

// Prints the rewritten address and returns 0; 1 when the address cannot be rewritten or
// reversed (with the reason on stderr); 2 for a configuration without [srs] or a bad file.
int srs_command(const std::string& config_path, bool forward, const std::string& address);

}  // namespace hikyaku::app
