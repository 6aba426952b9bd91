// The SPF helper's sandbox (DESIGN §3): what a helper process gives up before libspf2 reads
// its first attacker-controlled record. Its own uid, no other descriptors, an empty network
// namespace where the kernel allows one, and a seccomp filter that leaves little beyond
// reading and writing the socket to the relay.
#pragma once
#include <string>

namespace hikyaku::auth {

struct SandboxReport {
  bool ok = false;            // every mandatory step succeeded (uid, fds, limits, seccomp)
  bool network_namespace = false;  // unshared into an empty network namespace
  std::string failure;        // the step that failed, with errno text, when !ok
};

// Closes every descriptor but `keep` and stderr (close_range(2)).
bool close_all_but(int keep);

// Applies, in this order: a new network namespace while still root (or, unprivileged, inside a
// new user namespace; skipped where the kernel refuses); root dropped to `helper_user` (no
// supplementary groups); every descriptor but `fd` and stderr closed; no new privileges; death
// with the parent; CPU, descriptor, core (and address-space, outside AddressSanitizer) limits;
// then the seccomp filter. Irreversible; called once, first thing in the helper.
SandboxReport enter_spf_sandbox(int fd, const std::string& helper_user);

}  // namespace hikyaku::auth
