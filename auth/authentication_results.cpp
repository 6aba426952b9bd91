// Authentication-Results rendering and removal, RFC 8601 §2.2 (syntax: authserv-id, resinfo,
// reasonspec, propspec, pvalue), §2.7 (methods), §5 and §7.1 (remove fields claiming our
// authserv-id). Values are tokens or quoted strings built here; nothing goes out raw.
#include "auth/authentication_results.hpp"

#include <algorithm>
#include <vector>

#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

constexpr size_t kMaxValue = 256;
constexpr size_t kFoldAt = 78;  // RFC 5322 §2.1.1 SHOULD

bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// RFC 2045 §5.1 token character.
bool is_token_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) == std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_token_char(static_cast<unsigned char>(c));
  });
}

// RFC 5322 §3.2.3 atext (ASCII; RFC 6532 UTF-8 octets too).
bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 'x';
  for (const char c : s) {
    if (c == '.' ? prev == '.' : !is_atext(static_cast<unsigned char>(c))) return false;
    prev = c;
  }
  return true;
}

// RFC 5321 §4.1.2 Quoted-string: DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE.
bool is_smtp_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (i + 2 >= s.size()) return false;
      const auto n = static_cast<unsigned char>(s[++i]);
      if (n < 0x20 || n == 0x7f) return false;
    } else if (c == '"' || is_ctl(c)) {
      return false;
    }
  }
  return true;
}

// RFC 8601 §2.2 domain-name (RFC 6376 §3.5): sub-domain labels of letters, digits, hyphens,
// not starting or ending with a hyphen; underscores accepted for selectors and SRV-like names.
bool is_domain_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (const char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

std::string sanitise(std::string_view text) {
  std::string s(text.substr(0, kMaxValue));
  for (char& c : s) {
    if (is_ctl(static_cast<unsigned char>(c))) c = '?';
  }
  return s;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// §2.2 pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS].
std::string address_pvalue(std::string_view address) {
  const std::string a = sanitise(address);
  const size_t at = a.rfind('@');
  if (at != std::string::npos && is_domain_name(std::string_view(a).substr(at + 1))) {
    const std::string_view local = std::string_view(a).substr(0, at);
    const std::string_view domain = std::string_view(a).substr(at + 1);
    if (local.empty() || is_dot_atom(local) || is_smtp_quoted_string(local)) return a;
    return quoted(local) + "@" + std::string(domain);  // a local part that is no dot-atom
  }
  return ar_value(a);
}

std::string domain_pvalue(std::string_view d) {
  const std::string s = sanitise(d);
  return is_domain_name(s) ? s : ar_value(s);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

using Resinfo = std::vector<std::string>;  // words: "method=result", comment, reason, props

Resinfo spf_resinfo(const SpfVerdict& spf, const SmtpIdentities& smtp) {
  Resinfo r{std::string("spf=") + to_string(spf.mail_from.result)};
  if (!spf.mail_from.reason.empty() && spf.mail_from.result != SpfResult::pass) {
    r.push_back("reason=" + ar_value(spf.mail_from.reason));
  }
  if (!smtp.mail_from.empty()) {
    r.push_back("smtp.mailfrom=" + address_pvalue(smtp.mail_from));
  } else if (!smtp.helo.empty()) {
    r.push_back("smtp.helo=" + domain_pvalue(smtp.helo));
  }
  return r;
}

std::vector<Resinfo> dkim_resinfos(const DkimVerdict& dkim) {
  std::vector<Resinfo> out;
  if (dkim.empty()) return {Resinfo{"dkim=none"}};
  for (const auto& s : dkim) {
    Resinfo r{std::string("dkim=") + to_string(s.result)};
    if (!s.reason.empty() && s.result != DkimResult::pass) r.push_back("reason=" + ar_value(s.reason));
    if (!s.domain.empty()) r.push_back("header.d=" + domain_pvalue(s.domain));
    if (!s.selector.empty()) r.push_back("header.s=" + ar_value(s.selector));
    if (!s.algorithm.empty()) r.push_back("header.a=" + ar_value(s.algorithm));
    if (!s.b_prefix.empty()) r.push_back("header.b=" + ar_value(s.b_prefix));
    out.push_back(std::move(r));
  }
  return out;
}

Resinfo arc_resinfo(const ArcResult& arc) {
  Resinfo r{std::string("arc=") + to_string(arc.cv)};
  if (arc.cv == ArcResult::Cv::fail && !arc.reason.empty()) r.push_back("reason=" + ar_value(arc.reason));
  if (arc.cv == ArcResult::Cv::pass && arc.oldest_pass > 0) {
    r.push_back("header.oldest-pass=" + std::to_string(arc.oldest_pass));
  }
  return r;
}

// RFC 9989 §9.1: header.from (the Author Domain) and policy.dmarc (the policy evaluated after
// the policy options, here t=y, §4.7); the comment names the policy that applies, what it asks
// for this message, and the DMARC Policy Domain the Tree Walk found (§4.10.1).
Resinfo dmarc_resinfo(const DmarcOutcome& d) {
  Resinfo r{std::string("dmarc=") + to_string(d.result)};
  const bool decided = d.result == DmarcResult::pass || d.result == DmarcResult::fail;
  if (decided) {
    std::string comment = "(p=" + upper(to_string(d.policy)) + " dis=" + upper(to_string(d.disposition));
    if (d.testing) comment += " t=y";
    if (!d.record_domain.empty() && is_token(sanitise(d.record_domain))) {
      comment += "; policy domain " + d.record_domain;
      if (d.policy_source != DmarcPolicySource::author_domain) comment += std::string(" (") + to_string(d.policy_source) + ")";
    }
    r.push_back(comment + ")");
  }
  if (!d.from_domain.empty()) r.push_back("header.from=" + domain_pvalue(d.from_domain));
  if (decided) {
    DmarcPolicy applied = d.policy;  // t=y: one level below (reject -> quarantine -> none)
    if (d.testing) applied = applied == DmarcPolicy::reject ? DmarcPolicy::quarantine : DmarcPolicy::none;
    r.push_back(std::string("policy.dmarc=") + to_string(applied));
  }
  return r;
}

// Joins the resinfos after "Authentication-Results: id", folding with CRLF TAB.
std::string fold(std::string first, const std::vector<Resinfo>& resinfos) {
  std::string out;
  std::string line = std::move(first);
  for (const auto& r : resinfos) {
    line += ";";
    size_t len = 0;
    for (const auto& w : r) len += w.size() + 1;
    if (line.size() + len <= kFoldAt) {
      for (const auto& w : r) line += " " + w;
      continue;
    }
    bool first_word = true;
    for (const auto& w : r) {
      if (!first_word && line.size() + 1 + w.size() <= kFoldAt) {
        line += " " + w;
      } else {
        out += line + "\r\n";
        line = "\t" + w;
      }
      first_word = false;
    }
  }
  out += line + "\r\n";
  return out;
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Skips RFC 5322 §3.2.2 CFWS from `i`; false on an unterminated comment.
bool skip_cfws(std::string_view s, size_t& i) {
  for (;;) {
    if (i < s.size() && (is_wsp(s[i]) || s[i] == '\r' || s[i] == '\n')) {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == '(') {
      int depth = 0;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
          ++i;
        } else if (s[i] == '(') {
          ++depth;
        } else if (s[i] == ')' && --depth == 0) {
          break;
        }
      }
      if (i >= s.size()) return false;
      ++i;
      continue;
    }
    return true;
  }
}

}  // namespace

std::string ar_value(std::string_view text) {
  const std::string s = sanitise(text);
  return is_token(s) ? s : quoted(s);
}

std::string render_authentication_results(const AuthResults& results,
                                          std::string_view authserv_id,
                                          const SmtpIdentities& smtp,
                                          std::string_view from_rewritten) {
  std::vector<Resinfo> resinfos;
  resinfos.push_back(spf_resinfo(results.spf, smtp));
  for (auto& r : dkim_resinfos(results.dkim)) resinfos.push_back(std::move(r));
  resinfos.push_back(arc_resinfo(results.arc));
  resinfos.push_back(dmarc_resinfo(results.dmarc));
  if (!from_rewritten.empty()) {
    const std::string word = sanitise(from_rewritten);
    if (is_token(word)) resinfos.back().push_back("(From rewritten: " + word + ")");
  }
  return fold("Authentication-Results: " + ar_value(authserv_id), resinfos);
}

std::optional<std::string> parse_authserv_id(std::string_view v) {
  size_t i = 0;
  if (!skip_cfws(v, i) || i >= v.size()) return std::nullopt;
  if (v[i] == '"') {
    std::string id;
    for (++i; i < v.size(); ++i) {
      if (v[i] == '"') return id;
      if (v[i] == '\\') {
        if (++i >= v.size()) return std::nullopt;
      } else if (v[i] == '\r' || v[i] == '\n') {
        continue;  // folding inside the quoted-string is FWS, not content (§3.2.4)
      }
      id.push_back(v[i]);
    }
    return std::nullopt;  // unterminated
  }
  const size_t start = i;
  while (i < v.size() && is_token_char(static_cast<unsigned char>(v[i]))) ++i;
  if (i == start) return std::nullopt;
  return std::string(v.substr(start, i - start));
}

std::string remove_authentication_results(const core::Message& message,
                                          std::string_view authserv_id) {
  std::string out;
  out.reserve(message.size());
  append_without_authentication_results(message, authserv_id, out);
  return out;
}

void append_without_authentication_results(const core::Message& message, std::string_view authserv_id,
                                           std::string& out) {
  const std::string& raw = message.raw();
  size_t copied = 0;
  for (const auto& f : message.fields()) {
    if (!core::ascii_iequals(message.field_name(f), "Authentication-Results")) continue;
    const auto id = parse_authserv_id(message.field_value(f));
    if (!id || !core::ascii_iequals(*id, authserv_id)) continue;
    out.append(raw, copied, f.offset - copied);
    copied = f.offset + f.length;
  }
  out.append(raw, copied, std::string::npos);
}

}  // namespace hikyaku::auth
