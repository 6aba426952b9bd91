// A DMARC Policy Record (RFC 9989 §4.7 tags, §4.8 formal definition) parsed into a plain value,
// by our own small grammar: RFC 9989 discards a tag with a syntax error in favour of its default
// (§4.8) and adds np, psd and t, where libopendmarc 1.4.2 refuses the whole record or knows
// nothing of the tag, so libopendmarc no longer parses records here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/results.hpp"
#include "core/expected.hpp"

namespace hikyaku::auth {

// RFC 9989 §4.7 adkim= / aspf= (dmarc-rors).
enum class AlignmentMode { relaxed, strict };
const char* to_string(AlignmentMode m);  // "r", "s"

// RFC 9989 §4.7 psd= (dmarc-psd): y = a Public Suffix Domain, n = an Organizational Domain,
// u (the default) = neither said.
enum class PsdFlag { unspecified, yes, no };
const char* to_string(PsdFlag f);  // "u", "y", "n"

// RFC 9989 §4.10.1: what the record's policy tags amount to.
enum class PolicyState {
  published,  // p= valid, and sp=/np= valid or absent
  defaulted,  // p= missing or invalid (or sp=/np= invalid) but rua= holds a valid URI: p=none
  unusable,   // the same without a valid rua=: "the Mail Receiver applies no DMARC processing"
};

struct DmarcRecord {
  DmarcPolicy p = DmarcPolicy::none;
  std::optional<DmarcPolicy> sp;   // absent: p applies to existing subdomains (§4.7 "sp")
  std::optional<DmarcPolicy> np;   // absent: sp, else p, for non-existent subdomains (§4.7 "np")
  PsdFlag psd = PsdFlag::unspecified;
  bool testing = false;            // t=y (§4.7 "t"): apply the policy one level below
  AlignmentMode adkim = AlignmentMode::relaxed;
  AlignmentMode aspf = AlignmentMode::relaxed;
  std::vector<std::string> rua;    // the syntactically valid URIs, as written (with any "!size")
  std::vector<std::string> ruf;
  std::string fo = "0";            // as written (validated)
  PolicyState policy_state = PolicyState::published;
  // What was discarded or ignored, one short sentence each, for logs and `hikyaku doctor`:
  // a tag-spec that is not tag=value, a value outside its rule (§4.8: the default applies),
  // a repeated tag (the first counts), and pct=, rf=, ri= (removed, Appendix C.5.2).
  std::vector<std::string> notes;
  std::optional<std::string> pct;  // pct= as written: ignored (RFC 9989 Appendix A.6)
};

enum class DmarcRecordError {
  empty,        // nothing to parse
  bad_version,  // does not start with "v=DMARC1": not a DMARC Policy Record (§4.7 "v")
};
const char* to_string(DmarcRecordError e);

struct DmarcRecordParseError {
  DmarcRecordError code = DmarcRecordError::bad_version;
  std::string detail;
};

// Parses one TXT record text (the character-strings already joined, §4.5). Every record that
// starts with v=DMARC1 parses; what its tags are worth is in the value. Thread-safe.
core::Expected<DmarcRecord, DmarcRecordParseError> parse_dmarc_record(std::string_view text);

// True when `text` is a DMARC record candidate (§4.10 step 2): it starts with the §4.8
// dmarc-version "v" *WSP "=" *WSP "DMARC1" ("v" in either case, "DMARC1" exactly: %s in the
// ABNF), followed by the end, WSP or ";".
bool is_dmarc_record(std::string_view text);

}  // namespace hikyaku::auth
