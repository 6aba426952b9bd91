// The DMARC DNS Tree Walk of RFC 9989 §4.10, its pure parts: which names are asked (at most
// eight queries), what one answer yields, and the Organizational Domain the records found give
// (§4.10.2). The queries themselves: dmarc_tree_walk_dns.hpp.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dmarc_record.hpp"

namespace hikyaku::auth {

// §4.10: "Author Domains with more than eight labels do not result in more than eight DNS
// queries" - the first name, then at most seven labels (step 4), one label less each time.
inline constexpr size_t kTreeWalkMaxQueries = 8;
inline constexpr size_t kTreeWalkShortenTo = 7;

// A domain as DMARC compares it (RFC 9989 §4.4, RFC 4343): ASCII lower-cased, one trailing dot
// dropped; "" when it is not a domain name (empty, an empty label, a label over 63 octets, over
// 253 octets, a NUL).
std::string normalise_domain(std::string_view name);

// True when `name` is `ancestor` or below it (both normalised).
bool is_at_or_below(std::string_view name, std::string_view ancestor);

// §4.10 steps 1, 3, 4 and 7: the domains whose "_dmarc." TXT a walk from `domain` (normalised)
// asks, in order: the domain itself; then, with x labels, the parent when x < 8, else the last
// seven labels; then one label less each time, down to one label. Never more than eight.
std::vector<std::string> tree_walk_targets(std::string_view domain);

// One name where the walk found exactly one DMARC record (§4.10 step 2/6).
struct TreeWalkRecord {
  std::string domain;  // e.g. "example.com" (the record is at _dmarc.example.com)
  std::string text;    // the record as published
  DmarcRecord record;
};

struct TreeWalk {
  std::string start;                    // the normalised starting domain
  std::vector<std::string> queried;     // the domains asked, in order (at most eight)
  std::vector<TreeWalkRecord> records;  // in walk order: the most labels first
  // The walk ended as §4.10 says: at a record with psd=y or psd=n (steps 2 and 6) or after the
  // last label. False: a query failed temporarily (or was due after the deadline), `failure`
  // says which; what was found before it is kept.
  bool complete = false;
  std::string failure;
  std::vector<std::string> notes;  // "2 DMARC records at _dmarc.x: discarded" (step 2/6)

  // The record found at `domain`, or null.
  const TreeWalkRecord* at(std::string_view domain) const;
};

// One answer to "_dmarc.<domain>" TXT as §4.10 step 2 reads it: the single DMARC record in it,
// or nullopt when there is none or several (a note says so for several).
std::optional<TreeWalkRecord> single_dmarc_record(const std::vector<std::string>& texts, const std::string& domain,
                                                  std::vector<std::string>& notes);

// §4.10.2: from the records found, longest name first: psd=n -> that domain; psd=y at a name
// other than the start -> the domain one label below it (on the way to the start); otherwise
// the record at the fewest labels; no record at all -> the start itself. nullopt when the walk
// did not complete (a later answer could change the choice).
std::optional<std::string> organizational_domain(const TreeWalk& walk);

}  // namespace hikyaku::auth
