// The key TXT lookups of RFC 6376 §3.6.2.2 ("selector._domainkey.domain") for a message's
// DKIM-Signature fields, through dns/, done before verification so that libopendkim never
// blocks on DNS (DESIGN §3). NXDOMAIN/NODATA = no key (PERMFAIL), SERVFAIL/timeout = TEMPFAIL.
#pragma once
#include <chrono>

#include <boost/asio/awaitable.hpp>

#include "auth/dkim_signatures.hpp"
#include "core/message.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

namespace asio = boost::asio;

// Looks up the key record of every distinct key_name of dkim_signature_refs(message), one
// query at a time (at most kMaxDkimSignatures queries, each bounded by the resolver's timeout).
// A name not yet looked up when `deadline` has passed is a temperror, without a query.
asio::awaitable<DkimKeyRecords> fetch_dkim_keys(
    dns::Resolver& resolver, const core::Message& message,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

}  // namespace hikyaku::auth
