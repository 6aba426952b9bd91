// Identifier Alignment, RFC 9989 §4.4 (strict: identical names; relaxed: the same
// Organizational Domain) with Organizational Domains from the DNS Tree Walk (§4.10.2): which
// identifiers need a walk of their own, and the comparison once the walks are done.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "auth/dmarc_record.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

namespace asio = boost::asio;

enum class Alignment { aligned, not_aligned, unknown };

// Organizational Domains found so far, by normalised domain; nullopt when that domain's walk
// failed temporarily (its Organizational Domain is not known).
using OrgDomains = std::map<std::string, std::optional<std::string>>;

// §4.4: `author` and `identifier` in `mode`. Identical names (ASCII case-insensitive, one
// trailing dot ignored) align in both modes without any walk (§4.10.2 note); strict stops
// there. Relaxed compares the two Organizational Domains from `orgs`; since a name's
// Organizational Domain is the name or one of its ancestors, an identifier outside the Author
// Domain's Organizational Domain is not aligned whatever its own walk would say. unknown: a
// needed Organizational Domain is missing from `orgs` or not known. An empty or malformed
// name never aligns.
Alignment identifier_alignment(std::string_view author, std::string_view identifier, AlignmentMode mode,
                               const OrgDomains& orgs);

// The normalised identifier whose Organizational Domain identifier_alignment() still needs
// (given the author's in `orgs`), or "" when none is needed.
std::string org_domain_needed(std::string_view author, std::string_view identifier, AlignmentMode mode,
                              const OrgDomains& orgs);

// The Organizational Domain of `domain` by its own Tree Walk (§4.10.2); nullopt on a temporary
// failure or a query due after `deadline`.
asio::awaitable<std::optional<std::string>> walk_organizational_domain(
    dns::Resolver& resolver, std::string domain,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

}  // namespace hikyaku::auth
