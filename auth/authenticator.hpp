// The checks at end of DATA (DESIGN §1 step 4), once per message: SPF of MAIL FROM and HELO
// (RFC 7208, in helper processes), every DKIM signature (RFC 6376), the incoming ARC chain
// (RFC 8617), then DMARC (RFC 9989) from those results. All DNS goes through dns/.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "auth/dkim_verify.hpp"
#include "auth/results.hpp"
#include "auth/spf_helper_pool.hpp"
#include "core/asio.hpp"
#include "core/message.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

// What the checks run on; every pointer outlives the checks that use it.
struct AuthServices {
  dns::Resolver* resolver = nullptr;
  SpfHelperPool* spf = nullptr;         // null: SPF is none (reported as not checked)
  const DkimVerifier* dkim = nullptr;   // null: no DKIM verification
  asio::thread_pool* workers = nullptr; // signature checks run here, never on the I/O thread
  // The DKIM key, ARC key and DMARC lookups (the Tree Walks) together ([auth] lookup_timeout): a lookup
  // due after it is not made and counts as a temporary failure (the message is deferred, never
  // refused for it). One already under way is bounded by the resolver's own timeout.
  std::chrono::milliseconds lookup_budget = std::chrono::seconds(30);
};

struct AuthRequest {
  std::string client_ip;  // the SMTP client, after PROXY protocol
  std::string helo;
  std::string mail_from;  // the MAIL FROM mailbox; "" is the null sender
};

// Runs every check on `message` as received. `now` decides DKIM x=/t=. Never throws for mail or
// DNS reasons.
asio::awaitable<AuthResults> authenticate(const AuthServices& services, AuthRequest request,
                                          const core::Message& message, int64_t now);

}  // namespace hikyaku::auth
