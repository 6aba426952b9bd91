// `hikyaku arc verify --zone FILE < MESSAGE`: the ARC chain validation result (RFC 8617 §5.2)
// of a message, with the signers' key records taken from RFC 1035 zone files (offline).
#pragma once
#include <string>
#include <vector>

namespace hikyaku::app {

// Prints "cv=pass instances=N oldest-pass=K" (or cv=none / cv=fail with the reason) and returns
// 0 for pass or none, 1 for fail, 2 for a zone file that does not load.
int arc_verify_command(const std::vector<std::string>& zone_files);

}  // namespace hikyaku::app
