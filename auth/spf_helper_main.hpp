// The SPF helper process (DESIGN §3): libspf2 runs here, not in the relay, because SPF records
// are attacker-controlled and the library has a record of memory-safety bugs. It evaluates
// RFC 7208 checks sent over a socketpair and asks the relay for every DNS answer.
#pragma once
#include <string>

namespace hikyaku::auth {

// Enters the sandbox (spf_sandbox.hpp: its own uid `helper_user` when started as root, an
// empty network namespace where allowed, only `fd` and stderr open, a seccomp filter), then
// serves check requests on `fd` (spf_wire.hpp) until EOF. Returns 2 when the sandbox could not
// be entered; otherwise the process ends with _exit: 0 on EOF, 1 on a protocol or I/O error.
int spf_helper_main(int fd, const std::string& helper_user = "nobody");

}  // namespace hikyaku::auth
