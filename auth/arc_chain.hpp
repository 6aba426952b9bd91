// The incoming ARC chain checked with keys from dns/ (RFC 8617 §5.2): the key of every
// ARC-Seal and ARC-Message-Signature signer (TXT at selector._domainkey.domain, RFC 6376
// §3.6.2.2) fetched first, then auth::arc_verify over that prefetched set.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "auth/arc_verify.hpp"
#include "core/asio.hpp"
#include "core/message.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

// Key name ("s._domainkey.d", lower-case) -> its first TXT record, or nullopt when none.
using ArcKeyRecords = std::map<std::string, std::optional<std::string>>;

asio::awaitable<ArcKeyRecords> fetch_arc_keys(dns::Resolver& resolver, const core::Message& msg);

// arc_verify with `keys` as the lookup (synchronous: the signature checks run here).
ArcResult verify_arc_with(const core::Message& msg, const ArcKeyRecords& keys);

// Both steps, on the caller's thread (for the CLI).
asio::awaitable<ArcResult> verify_arc_chain(dns::Resolver& resolver, const core::Message& msg);

}  // namespace hikyaku::auth
