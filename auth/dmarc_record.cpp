// DMARC record parsing, RFC 7489 §6.3 (tags and defaults), §6.4 (ABNF), §6.6.3 step 6 (a record
// without a valid p=). libopendmarc 1.4.2's opendmarc_policy_parse_dmarc is generous where the
// grammar is not (probed, see tests): it accepts any prefix of a policy word ("p=r"), "pct=50abc"
// as 50, an empty "pct=" as 100, parts without "=", "v=" anywhere, repeated tags (last wins),
// and silently skips values over 512 octets. So our tag-list pass decides syntax first, and the
// values libopendmarc then reports must agree with it.
// Thread safety: only the per-call DMARC_POLICY_T is used (connect_init, parse_dmarc, fetch_*,
// connect_shutdown); opendmarc_policy_library_init sets up the library's PSL table and resolver,
// neither of which this path touches (it parses identically without it), so it is not called.
#include "auth/dmarc_record.hpp"

#include <opendmarc/dmarc.h>

#include <cstring>
#include <map>
#include <memory>

#include "core/address.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

using Error = DmarcRecordParseError;

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

std::optional<DmarcPolicy> parse_policy(std::string_view v) {
  if (core::ascii_iequals(v, "none")) return DmarcPolicy::none;
  if (core::ascii_iequals(v, "quarantine")) return DmarcPolicy::quarantine;
  if (core::ascii_iequals(v, "reject")) return DmarcPolicy::reject;
  return std::nullopt;
}

std::optional<AlignmentMode> parse_mode(std::string_view v) {
  if (core::ascii_iequals(v, "r")) return AlignmentMode::relaxed;
  if (core::ascii_iequals(v, "s")) return AlignmentMode::strict;
  return std::nullopt;
}

std::optional<uint64_t> parse_digits(std::string_view v, size_t max_digits) {
  if (v.empty() || v.size() > max_digits) return std::nullopt;
  uint64_t n = 0;
  for (const char c : v) {
    if (!is_digit(c)) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// §6.4 dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]. The URI part is checked for
// an RFC 3986 §3.1 scheme and a non-empty rest of URI characters (",", "!" and ";" must be
// %-encoded there, §6.2).
bool valid_dmarc_uri(std::string_view u) {
  const size_t bang = u.find('!');
  if (bang != std::string_view::npos) {
    std::string_view size = u.substr(bang + 1);
    if (!size.empty() && std::string_view("kmgtKMGT").find(size.back()) != std::string_view::npos) {
      size.remove_suffix(1);
    }
    if (!parse_digits(size, 20)) return false;
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

std::vector<std::string> valid_uris(std::string_view list) {
  std::vector<std::string> out;
  for (const auto u : split(list, ',')) {
    if (valid_dmarc_uri(u)) out.emplace_back(u);
  }
  return out;
}

// The tag list as our grammar sees it: every part "name = value", names unique (lower-cased).
core::Expected<std::map<std::string, std::string_view>, Error> tag_list(std::string_view text) {
  std::map<std::string, std::string_view> tags;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      return core::unexpected(Error{DmarcRecordError::syntax, "control character"});
    }
  }
  const auto parts = split(text, ';');
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    if (part.empty()) {
      // dmarc-sep allows a final ";"; empty parts elsewhere are tolerated the same way.
      continue;
    }
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return core::unexpected(Error{DmarcRecordError::syntax, "no '=' in \"" + std::string(part) + "\""});
    }
    const std::string_view name = trim(part.substr(0, eq));
    bool name_ok = !name.empty() && is_alpha(name[0]);
    for (const char c : name) name_ok = name_ok && (is_alpha(c) || is_digit(c) || c == '_');
    if (!name_ok) {
      return core::unexpected(Error{DmarcRecordError::syntax, "bad tag name \"" + std::string(name) + "\""});
    }
    const std::string key = core::ascii_lower(name);
    if (i == 0 && key != "v") {
      return core::unexpected(Error{DmarcRecordError::bad_version, "v= is not the first tag"});
    }
    if (i != 0 && key == "v") {
      return core::unexpected(Error{DmarcRecordError::syntax, "v= repeated"});
    }
    if (!tags.emplace(key, trim(part.substr(eq + 1))).second) {
      return core::unexpected(Error{DmarcRecordError::syntax, key + "= repeated"});
    }
  }
  return tags;
}

Error bad_value(const std::string& tag, std::string_view value) {
  return Error{DmarcRecordError::bad_value, tag + "=" + std::string(value)};
}

// Our reading of the record, §6.3 defaults applied.
core::Expected<DmarcRecord, Error> parse_ours(std::string_view text) {
  if (trim(text).empty()) return core::unexpected(Error{DmarcRecordError::empty, ""});
  if (!is_dmarc_record(text)) {
    return core::unexpected(Error{DmarcRecordError::bad_version, "not v=DMARC1"});
  }
  auto tags = tag_list(text);
  if (!tags) return core::unexpected(tags.error());
  DmarcRecord r;
  bool p_valid = false;
  bool sp_invalid = false;
  std::string policy_detail;
  for (const auto& [tag, value] : *tags) {
    if (tag == "p") {
      const auto p = parse_policy(value);
      if (p) {
        r.p = *p;
        p_valid = true;
      } else {
        policy_detail = "p=" + std::string(value);
      }
    } else if (tag == "sp") {
      const auto sp = parse_policy(value);
      if (sp) {
        r.sp = *sp;
      } else {
        sp_invalid = true;
        policy_detail = "sp=" + std::string(value);
      }
    } else if (tag == "adkim" || tag == "aspf") {
      const auto m = parse_mode(value);
      if (!m) return core::unexpected(bad_value(tag, value));
      (tag == "adkim" ? r.adkim : r.aspf) = *m;
    } else if (tag == "pct") {
      const auto n = parse_digits(value, 3);
      if (!n || *n > 100) return core::unexpected(bad_value(tag, value));
      r.pct = static_cast<int>(*n);
    } else if (tag == "ri") {
      const auto n = parse_digits(value, 10);
      if (!n || *n > UINT32_MAX) return core::unexpected(bad_value(tag, value));
      r.ri = static_cast<uint32_t>(*n);
    } else if (tag == "fo") {
      for (const auto o : split(value, ':')) {
        if (o != "0" && o != "1" && o != "d" && o != "s") return core::unexpected(bad_value(tag, value));
      }
      r.fo = std::string(value);
    } else if (tag == "rf") {
      // Keyword list (§6.4); "afrf" is the one registered format (§6.3), "iodef" the other
      // format libopendmarc knows. Unknown formats are refused as libopendmarc does.
      for (const auto f : split(value, ':')) {
        if (!core::ascii_iequals(f, "afrf") && !core::ascii_iequals(f, "iodef")) {
          return core::unexpected(bad_value(tag, value));
        }
      }
    } else if (tag == "rua") {
      r.rua = valid_uris(value);
    } else if (tag == "ruf") {
      r.ruf = valid_uris(value);
    }
    // v: checked by is_dmarc_record; anything else: §6.3 "unknown tags MUST be ignored".
  }
  if (!p_valid || sp_invalid) {
    // §6.6.3 step 6.
    if (r.rua.empty()) {
      if (policy_detail.empty()) return core::unexpected(Error{DmarcRecordError::missing_policy, "no p="});
      return core::unexpected(Error{DmarcRecordError::bad_policy, policy_detail});
    }
    r.p = DmarcPolicy::none;
    r.sp.reset();
    r.p_defaulted = true;
  }
  return r;
}

std::optional<DmarcPolicy> from_library_policy(int v) {
  switch (v) {
    case DMARC_RECORD_P_NONE: return DmarcPolicy::none;
    case DMARC_RECORD_P_QUARANTINE: return DmarcPolicy::quarantine;
    case DMARC_RECORD_P_REJECT: return DmarcPolicy::reject;
    default: return std::nullopt;
  }
}

std::optional<AlignmentMode> from_library_mode(int v) {
  switch (v) {
    case DMARC_RECORD_A_RELAXED: return AlignmentMode::relaxed;
    case DMARC_RECORD_A_STRICT: return AlignmentMode::strict;
    default: return std::nullopt;
  }
}

struct PolicyContext {
  void operator()(DMARC_POLICY_T* p) const { opendmarc_policy_connect_shutdown(p); }
};

// libopendmarc's reading of p, sp, pct, adkim, aspf must match ours.
std::optional<Error> check_with_library(std::string_view text, const DmarcRecord& ours) {
  if (text.size() >= BUFSIZ) {
    return Error{DmarcRecordError::library, "longer than libopendmarc's buffer"};
  }
  // The IP address is required by connect_init and unused by parsing.
  std::unique_ptr<DMARC_POLICY_T, PolicyContext> ctx(
      opendmarc_policy_connect_init(reinterpret_cast<u_char*>(const_cast<char*>("192.0.2.1")), 0));
  if (!ctx) return Error{DmarcRecordError::library, "out of memory"};
  std::string copy(text);  // NUL-terminated, writable (the C API takes u_char*)
  const int st = opendmarc_policy_parse_dmarc(ctx.get(), reinterpret_cast<u_char*>(const_cast<char*>("record.invalid")),
                                              reinterpret_cast<u_char*>(copy.data()));
  if (st != DMARC_PARSE_OKAY) {
    return Error{DmarcRecordError::library, "libopendmarc status " + std::to_string(st)};
  }
  int p = 0, sp = 0, pct = 0, adkim = 0, aspf = 0;
  opendmarc_policy_fetch_p(ctx.get(), &p);
  opendmarc_policy_fetch_sp(ctx.get(), &sp);
  opendmarc_policy_fetch_pct(ctx.get(), &pct);
  opendmarc_policy_fetch_adkim(ctx.get(), &adkim);
  opendmarc_policy_fetch_aspf(ctx.get(), &aspf);
  const bool same = from_library_policy(p) == ours.p &&
                    (sp == DMARC_RECORD_P_UNSPECIFIED ? !ours.sp : from_library_policy(sp) == ours.sp) &&
                    pct == ours.pct && from_library_mode(adkim) == ours.adkim &&
                    from_library_mode(aspf) == ours.aspf;
  if (!same) return Error{DmarcRecordError::library, "libopendmarc read different values"};
  return std::nullopt;
}

}  // namespace

const char* to_string(DmarcRecordError e) {
  switch (e) {
    case DmarcRecordError::empty: return "empty";
    case DmarcRecordError::bad_version: return "bad version";
    case DmarcRecordError::syntax: return "syntax";
    case DmarcRecordError::bad_value: return "bad value";
    case DmarcRecordError::bad_policy: return "bad policy";
    case DmarcRecordError::missing_policy: return "missing policy";
    case DmarcRecordError::library: return "libopendmarc";
  }
  return "syntax";
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
  auto ours = parse_ours(text);
  if (!ours) return ours;
  // With p= defaulted (§6.6.3 step 6) libopendmarc refuses the record (no or a bad p=), so
  // there is nothing to compare; our values stand.
  if (!ours->p_defaulted) {
    if (auto e = check_with_library(text, *ours)) return core::unexpected(std::move(*e));
  }
  return ours;
}

}  // namespace hikyaku::auth
