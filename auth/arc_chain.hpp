// The incoming ARC chain checked with keys from dns/ (RFC 8617 §5.2): the key of every
// ARC-Seal and ARC-Message-Signature signer (TXT at selector._domainkey.domain, RFC 6376
// §3.6.2.2) fetched first, then auth::arc_verify over that prefetched set.
#pragma once
#include <chrono>
#include <map>
#include <string>

#include "auth/arc_verify.hpp"
#include "core/asio.hpp"
#include "core/message.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

// One key lookup: found (the first TXT record), absent (NXDOMAIN/NODATA: no key, a permanent
// failure) or temperror (SERVFAIL/timeout: the chain may validate on a later try).
struct ArcKeyRecord {
  enum class Status { found, absent, temperror };
  Status status = Status::temperror;
  std::string text;  // found: the first TXT record
};

// Key name ("s._domainkey.d", lower-case) -> its lookup.
using ArcKeyRecords = std::map<std::string, ArcKeyRecord>;

// One query at a time; a name not yet looked up when `deadline` has passed is a temperror.
asio::awaitable<ArcKeyRecords> fetch_arc_keys(
    dns::Resolver& resolver, const core::Message& msg,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

// arc_verify with `keys` as the lookup (synchronous: the signature checks run here). A name
// missing from `keys` is absent. When the chain fails for want of a key whose lookup was a
// temperror, the result says so (ArcResult::temporary).
ArcResult verify_arc_with(const core::Message& msg, const ArcKeyRecords& keys);

// Both steps, on the caller's thread (for the CLI).
asio::awaitable<ArcResult> verify_arc_chain(dns::Resolver& resolver, const core::Message& msg);

}  // namespace hikyaku::auth
