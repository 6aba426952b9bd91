// DMARC Policy Discovery, RFC 9989 §4.10.1: the Author Domain's record, else the record of its
// Organizational Domain, else of its Public Suffix Domain, all from one DNS Tree Walk (§4.10)
// that starts at the Author Domain; the policy that applies (p, sp or np: the Author Domain's
// existence, §3.2.13, asked only when sp and np would differ); temporary DNS failures are
// temperror, never "no record". DNS through dns::Resolver.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "auth/dmarc_record.hpp"
#include "auth/dmarc_tree_walk_dns.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

namespace asio = boost::asio;

struct DmarcRecordLookup {
  enum class Status {
    found,      // a DMARC Policy Record applies
    none,       // no record applies, or the one found asks for no DMARC processing (§4.10.1)
    temperror,  // a DNS lookup failed temporarily (RFC 9989 §5.3.6, §9.2 temperror)
  };
  Status status = Status::none;
  DmarcPolicySource source = DmarcPolicySource::author_domain;  // found: whose record
  std::string record_domain;  // the DMARC Policy Domain (found; also none when a record was unusable)
  std::string text;           // the record as published (found)
  std::optional<DmarcRecord> record;  // found
  // found: the policy the record sets for the Author Domain (§4.10.1): p for its own record;
  // for an ancestor's record sp when the Author Domain exists, np when it does not, each
  // falling back to sp, then p (§4.7 "sp", "np").
  DmarcPolicy policy = DmarcPolicy::none;
  std::string policy_tag = "p";     // which tag gave `policy`: "p", "sp" or "np"
  std::optional<bool> author_exists;  // asked only when sp and np differ
  bool needs_existence = false;       // discover_policy() was not told whether it exists
  TreeWalk walk;                      // the walk from the Author Domain (its Organizational Domain)
  std::string detail;  // for logs: "no DMARC record at _dmarc.x or above", the DNS failure
};

const char* to_string(DmarcRecordLookup::Status s);

// `author_domain` as from_domain() gives it (lower-case A-labels). A lookup due after
// `deadline` is not made: temperror.
asio::awaitable<DmarcRecordLookup> fetch_dmarc_record(
    dns::Resolver& resolver, const std::string& author_domain,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

// The policy selection of §4.10.1 over a walk already made, with the Author Domain's existence
// given (nullopt: not known; then sp and np must agree or the result is temperror). Pure.
DmarcRecordLookup discover_policy(const std::string& author_domain, TreeWalk walk,
                                  std::optional<bool> author_exists);

}  // namespace hikyaku::auth
