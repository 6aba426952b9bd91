// The SPF helper process (DESIGN §3): libspf2 runs here, not in the relay, because SPF records
// are attacker-controlled and the library has a record of memory-safety bugs. It evaluates
// RFC 7208 checks sent over a socketpair and asks the relay for every DNS answer.
#pragma once

namespace hikyaku::auth {

// Hardens the process (closes every descriptor but `fd` and stderr, no new privileges, killed
// with its parent, address-space / CPU / descriptor limits), then serves check requests on
// `fd` (spf_wire.hpp) until EOF. Returns the exit status: 0 on EOF, 1 on a protocol or I/O
// error, 2 when hardening failed.
int spf_helper_main(int fd);

}  // namespace hikyaku::auth
