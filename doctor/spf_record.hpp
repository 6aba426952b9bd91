// The doctor's own reading of an SPF record (RFC 7208 §4.5 record selection, §12 ABNF, §5
// mechanisms, §6 modifiers) with the column of every term, to diagnose records: count DNS
// lookups, find syntax errors and their position. Evaluating SPF for mail stays in auth/.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "doctor/proxy_ranges.hpp"

namespace hikyaku::doctor {

struct SpfTerm {
  size_t column = 0;      // 1-based position of the term in the record text
  std::string text;       // the term as written
  bool modifier = false;  // name=value (§6) rather than a mechanism (§5)
  char qualifier = '+';   // '+', '-', '~', '?' (§4.6.2; '+' when omitted)
  std::string name;       // mechanism or modifier name, lowercase
  std::string domain;     // domain-spec of include/a/mx/ptr/exists, redirect/exp value; "" if none
  bool macros = false;    // the domain-spec holds macros (§7): its target depends on the sender
  std::optional<Prefix> network;  // ip4/ip6
  unsigned cidr4 = 32, cidr6 = 128;  // a/mx dual-cidr-length (§5.6)
};

struct SpfRecord {
  std::vector<SpfTerm> terms;  // in order, modifiers included
  const SpfTerm* find_modifier(std::string_view name) const;
  const SpfTerm* find_all() const;  // the first "all" mechanism
};

struct SpfSyntaxError {
  size_t column = 0;  // 1-based
  std::string message;
};

// §4.5: a TXT record is an SPF record when it is "v=spf1" alone or followed by a space
// (case-insensitive).
bool is_spf_record(std::string_view text);

// Parses a record for which is_spf_record() holds. Refuses what §12 does not allow: unknown
// mechanisms, a missing or malformed domain-spec, bad macros (§7.1), bad CIDR lengths,
// repeated redirect/exp (§6), a modifier name outside §12's grammar.
core::Expected<SpfRecord, SpfSyntaxError> parse_spf_record(std::string_view text);

}  // namespace hikyaku::doctor
