// DMARC Policy Record parsing, RFC 9989 §4.7 (tags, defaults), §4.8 (ABNF; "Unknown tags MUST be
// ignored. Syntax errors in the remainder of the record MUST be discarded in favor of default
// values (if any) or ignored outright") and §4.10.1 (a record without a valid p=). pct=, rf= and
// ri= are gone (Appendix C.5.2): they are unknown tags now, pct= noted as ignored (Appendix A.6).
#include "auth/dmarc_record.hpp"

#include <set>

#include "core/address.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

// Splits on `sep`, each piece trimmed of WSP.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t k = s.find(sep);
    out.push_back(trim(s.substr(0, k)));
    if (k == std::string_view::npos) return out;
    s.remove_prefix(k + 1);
  }
}

// A note quotes record text: printable ASCII only, at most 64 octets.
std::string shown(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (s.size() > 64) out += "...";
  return out;
}

// §4.8 dmarc-request; ABNF strings are case-insensitive (RFC 5234 §2.3).
std::optional<DmarcPolicy> parse_policy(std::string_view v) {
  if (core::ascii_iequals(v, "none")) return DmarcPolicy::none;
  if (core::ascii_iequals(v, "quarantine")) return DmarcPolicy::quarantine;
  if (core::ascii_iequals(v, "reject")) return DmarcPolicy::reject;
  return std::nullopt;
}

// §4.8 dmarc-rors.
std::optional<AlignmentMode> parse_mode(std::string_view v) {
  if (core::ascii_iequals(v, "r")) return AlignmentMode::relaxed;
  if (core::ascii_iequals(v, "s")) return AlignmentMode::strict;
  return std::nullopt;
}

// §4.8 dmarc-fo: 0 / 1 / d / s separated by ":", each at most once, 0 and 1 not together.
bool valid_fo(std::string_view v) {
  std::set<std::string_view> seen;
  for (const auto o : split(v, ':')) {
    if (o != "0" && o != "1" && o != "d" && o != "s") return false;
    if (!seen.insert(o).second) return false;
  }
  return !(seen.count("0") != 0 && seen.count("1") != 0);
}

// §4.8 dmarc-uri / obs-dmarc-uri: an RFC 3986 URI (scheme ":" and a non-empty rest of URI
// characters; "," and "!" must be %-encoded in it), optionally followed by the obsolete
// "!" 1*DIGIT [k/m/g/t] size, which is kept as written and ignored by report senders.
bool valid_dmarc_uri(std::string_view u) {
  const size_t bang = u.find('!');
  if (bang != std::string_view::npos) {
    std::string_view size = u.substr(bang + 1);
    if (!size.empty() && std::string_view("kmgtKMGT").find(size.back()) != std::string_view::npos) {
      size.remove_suffix(1);
    }
    if (size.empty() || size.size() > 20) return false;
    for (const char c : size) {
      if (!is_digit(c)) return false;
    }
    u = u.substr(0, bang);
  }
  const size_t colon = u.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == u.size()) return false;
  if (!is_alpha(u[0])) return false;
  for (size_t i = 1; i < colon; ++i) {
    const char c = u[i];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (size_t i = colon + 1; i < u.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(u[i]);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return false;
    }
  }
  return true;
}

// §4.8 dmarc-urilist: the valid URIs; an invalid one is discarded with a note.
std::vector<std::string> valid_uris(std::string_view tag, std::string_view list, std::vector<std::string>& notes) {
  std::vector<std::string> out;
  for (const auto u : split(list, ',')) {
    if (valid_dmarc_uri(u)) {
      out.emplace_back(u);
    } else {
      notes.push_back(std::string(tag) + ": \"" + shown(u) + "\" is not a URI: discarded (RFC 9989 §4.8)");
    }
  }
  return out;
}

// §4.8 dmarc-value: printing characters but ";" (the split already removed ";").
bool valid_value(std::string_view v) {
  if (v.empty()) return false;
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return true;
}

void discard(std::vector<std::string>& notes, std::string_view tag, std::string_view value, const char* why) {
  notes.push_back(std::string(tag) + "=" + shown(value) + ": " + why + " (RFC 9989 §4.8)");
}

}  // namespace

const char* to_string(AlignmentMode m) { return m == AlignmentMode::strict ? "s" : "r"; }

const char* to_string(PsdFlag f) {
  switch (f) {
    case PsdFlag::yes: return "y";
    case PsdFlag::no: return "n";
    case PsdFlag::unspecified: return "u";
  }
  return "u";
}

const char* to_string(DmarcRecordError e) {
  switch (e) {
    case DmarcRecordError::empty: return "empty";
    case DmarcRecordError::bad_version: return "not v=DMARC1";
  }
  return "not v=DMARC1";
}

bool is_dmarc_record(std::string_view text) {
  if (text.empty() || (text[0] != 'v' && text[0] != 'V')) return false;
  text.remove_prefix(1);
  while (!text.empty() && is_wsp(text.front())) text.remove_prefix(1);
  if (text.empty() || text.front() != '=') return false;
  text.remove_prefix(1);
  while (!text.empty() && is_wsp(text.front())) text.remove_prefix(1);
  if (text.substr(0, 6) != "DMARC1") return false;
  text.remove_prefix(6);
  return text.empty() || is_wsp(text.front()) || text.front() == ';';
}

core::Expected<DmarcRecord, DmarcRecordParseError> parse_dmarc_record(std::string_view text) {
  if (trim(text).empty()) return core::unexpected(DmarcRecordParseError{DmarcRecordError::empty, ""});
  // §4.7 "v": the first tag, exactly "DMARC1", else the entire record is ignored.
  if (!is_dmarc_record(text)) {
    return core::unexpected(DmarcRecordParseError{DmarcRecordError::bad_version, "not v=DMARC1"});
  }
  DmarcRecord r;
  auto& notes = r.notes;
  bool p_valid = false;
  bool sub_invalid = false;  // sp= or np= present but invalid (§4.10.1)
  std::set<std::string> seen;
  const auto parts = split(text, ';');
  for (size_t i = 1; i < parts.size(); ++i) {  // parts[0] is the v=DMARC1 checked above
    const std::string_view part = parts[i];
    if (part.empty()) continue;  // dmarc-sep allows a final ";"; ";;" is tolerated the same way
    const size_t eq = part.find('=');
    const std::string_view name = trim(part.substr(0, eq));
    bool name_ok = eq != std::string_view::npos && !name.empty();
    for (const char c : name) name_ok = name_ok && is_alpha(c);  // §4.8 dmarc-tag: 1*ALPHA
    if (!name_ok) {
      notes.push_back("\"" + shown(part) + "\" is not tag=value: discarded (RFC 9989 §4.8)");
      continue;
    }
    const std::string tag = core::ascii_lower(name);
    const std::string_view value = trim(part.substr(eq + 1));
    if (!seen.insert(tag).second) {
      notes.push_back(tag + "= repeated: the first one counts");
      continue;
    }
    if (!valid_value(value)) {
      if (tag == "p" || tag == "sp" || tag == "np") {
        if (tag != "p") sub_invalid = true;
      }
      discard(notes, tag, value, "not a dmarc-value, discarded");
      continue;
    }
    if (tag == "p" || tag == "sp" || tag == "np") {
      const auto policy = parse_policy(value);
      if (!policy) {
        if (tag != "p") sub_invalid = true;
        discard(notes, tag, value, "not none, quarantine or reject");
        continue;
      }
      if (tag == "p") {
        r.p = *policy;
        p_valid = true;
      } else {
        (tag == "sp" ? r.sp : r.np) = *policy;
      }
    } else if (tag == "adkim" || tag == "aspf") {
      const auto m = parse_mode(value);
      if (!m) {
        discard(notes, tag, value, "not r or s, the default r applies");
        continue;
      }
      (tag == "adkim" ? r.adkim : r.aspf) = *m;
    } else if (tag == "psd") {
      if (core::ascii_iequals(value, "y")) {
        r.psd = PsdFlag::yes;
      } else if (core::ascii_iequals(value, "n")) {
        r.psd = PsdFlag::no;
      } else if (core::ascii_iequals(value, "u")) {
        r.psd = PsdFlag::unspecified;
      } else {
        discard(notes, tag, value, "not y, n or u, the default u applies");
      }
    } else if (tag == "t") {
      if (core::ascii_iequals(value, "y")) {
        r.testing = true;
      } else if (!core::ascii_iequals(value, "n")) {
        discard(notes, tag, value, "not y or n, the default n applies");
      }
    } else if (tag == "fo") {
      if (valid_fo(value)) {
        r.fo = std::string(value);
      } else {
        discard(notes, tag, value, "not a dmarc-fo, the default 0 applies");
      }
    } else if (tag == "rua") {
      r.rua = valid_uris(tag, value, notes);
    } else if (tag == "ruf") {
      r.ruf = valid_uris(tag, value, notes);
    } else if (tag == "pct") {
      r.pct = std::string(value);
      notes.push_back("pct=" + shown(value) + " ignored: RFC 9989 removed pct (Appendix A.6), t=y replaces pct=0");
    } else if (tag == "rf" || tag == "ri") {
      notes.push_back(tag + "=" + shown(value) + " ignored: RFC 9989 removed " + tag + " (Appendix C.5.2)");
    }
    // Anything else: "unknown tags MUST be ignored" (§4.7, §4.8).
  }
  // §4.10.1: no valid p=, or an invalid sp=/np=: p=none when rua= holds a valid URI, else the
  // record asks for no DMARC processing.
  if (!p_valid || sub_invalid) {
    r.policy_state = r.rua.empty() ? PolicyState::unusable : PolicyState::defaulted;
    r.p = DmarcPolicy::none;
    r.sp.reset();
    r.np.reset();
  }
  return r;
}

}  // namespace hikyaku::auth
