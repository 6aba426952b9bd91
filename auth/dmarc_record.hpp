// A DMARC policy record (RFC 7489 §6.3 tags, §6.4 formal definition) parsed into a plain value.
// libopendmarc's parser supplies p, sp, pct, adkim and aspf; a stricter syntax pass of ours runs
// first because libopendmarc 1.4.2 accepts what the RFC grammar does not (see the .cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/org_domain.hpp"
#include "auth/results.hpp"
#include "core/expected.hpp"

namespace hikyaku::auth {

struct DmarcRecord {
  DmarcPolicy p = DmarcPolicy::none;
  std::optional<DmarcPolicy> sp;   // absent: p applies to subdomains too (§6.3 "sp")
  int pct = 100;                   // 0..100 (§6.3 "pct")
  AlignmentMode adkim = AlignmentMode::relaxed;
  AlignmentMode aspf = AlignmentMode::relaxed;
  std::vector<std::string> rua;    // the syntactically valid URIs, as written (with any "!size")
  std::vector<std::string> ruf;
  std::string fo = "0";            // as written (validated)
  uint32_t ri = 86400;
  // §6.6.3 step 6: p= was missing or invalid (or sp= invalid) but rua= holds a valid URI, so
  // the record counts as p=none (and sp absent).
  bool p_defaulted = false;
};

enum class DmarcRecordError {
  empty,          // nothing to parse
  bad_version,    // does not start with "v=DMARC1" (§6.3, §6.6.3 step 3)
  syntax,         // not a tag list: a part without "=", a bad tag name, a repeated tag
  bad_value,      // a known tag with a value outside its grammar (pct=500, adkim=x, ri=bob)
  bad_policy,     // p= or sp= invalid and no valid rua (§6.6.3 step 6: no DMARC processing)
  missing_policy, // no p= and no valid rua (§6.6.3 step 6: no DMARC processing)
  library,        // libopendmarc refused what our grammar accepted (detail has its status)
};
const char* to_string(DmarcRecordError e);

struct DmarcRecordParseError {
  DmarcRecordError code = DmarcRecordError::syntax;
  std::string detail;  // "pct=500", "libopendmarc status 4", ...
};

// Parses one TXT record text. Thread-safe.
core::Expected<DmarcRecord, DmarcRecordParseError> parse_dmarc_record(std::string_view text);

// True when `text` is a DMARC record candidate (§6.6.3 step 3): it starts with the §6.4
// dmarc-version "v" *WSP "=" *WSP "DMARC1" ("v" in either case, "DMARC1" exactly: %x-coded in
// the ABNF), followed by the end, WSP or ";".
bool is_dmarc_record(std::string_view text);

}  // namespace hikyaku::auth
