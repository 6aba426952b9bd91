// The evaluation record's line encoding (see evaluation_record.hpp): named fields so the format
// can grow, percent-encoding so no value can carry a separator, CR or LF, and value checks on
// reading so a report built from the lines only holds RFC 9990 Appendix A (XSD) words.
#include "dmarc_reports/evaluation_record.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "core/percent.hpp"

namespace hikyaku::dmarc_reports {

const char* to_string(Disposition d) {
  switch (d) {
    case Disposition::none: return "none";
    case Disposition::pass: return "pass";
    case Disposition::quarantine: return "quarantine";
    case Disposition::reject: return "reject";
  }
  return "none";
}

const char* to_string(OverrideType t) {
  switch (t) {
    case OverrideType::local_policy: return "local_policy";
    case OverrideType::mailing_list: return "mailing_list";
    case OverrideType::other: return "other";
    case OverrideType::policy_test_mode: return "policy_test_mode";
    case OverrideType::trusted_forwarder: return "trusted_forwarder";
  }
  return "other";
}

namespace {

constexpr std::string_view kVersion = "dmarc1";

bool needs_escape(unsigned char c) { return c <= ' ' || c >= 0x7f || c == '%' || c == ',' || c == ';' || c == '='; }

std::string enc(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(v.size());
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

// Undoes enc(); nullopt on a bad escape or an octet that should have been escaped.
std::optional<std::string> dec(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c == '%') {
      if (i + 2 >= v.size()) return std::nullopt;
      const int hi = core::hex_digit_value(v[i + 1]);
      const int lo = core::hex_digit_value(v[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (needs_escape(c)) {
      return std::nullopt;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

// A list field: "" is the empty list.
std::vector<std::string_view> items(std::string_view s) {
  if (s.empty()) return {};
  return split(s, ',');
}

template <size_t N>
bool one_of(std::string_view v, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), v) != words.end();
}

constexpr std::array<std::string_view, 7> kDkimResults{"none", "pass", "fail", "policy", "neutral", "temperror",
                                                        "permerror"};
constexpr std::array<std::string_view, 8> kSpfResults{"none", "pass", "fail", "softfail", "policy", "neutral",
                                                       "temperror", "permerror"};
constexpr std::array<std::string_view, 3> kPolicies{"none", "quarantine", "reject"};
constexpr std::array<std::string_view, 2> kModes{"r", "s"};

std::optional<Disposition> parse_disposition(std::string_view v) {
  for (const Disposition d : {Disposition::none, Disposition::pass, Disposition::quarantine, Disposition::reject}) {
    if (v == to_string(d)) return d;
  }
  return std::nullopt;
}

std::optional<OverrideType> parse_override(std::string_view v) {
  for (const OverrideType t : {OverrideType::local_policy, OverrideType::mailing_list, OverrideType::other,
                               OverrideType::policy_test_mode, OverrideType::trusted_forwarder}) {
    if (v == to_string(t)) return t;
  }
  return std::nullopt;
}

core::Unexpected<std::string> bad(std::string what) { return core::unexpected("dmarc record line: " + what); }

}  // namespace

std::string encode_record(const EvaluationRecord& r) {
  std::string out(kVersion);
  auto field = [&out](std::string_view key, const std::string& value) {
    out += '\t';
    out += key;
    out += '=';
    out += value;
  };
  field("from", enc(r.header_from));
  field("pd", enc(r.policy_domain));
  field("ip", enc(r.source_ip));
  field("mf", enc(r.envelope_from));
  field("to", enc(r.envelope_to));
  std::string dkim;
  for (size_t i = 0; i < r.dkim.size() && i < kMaxDkimPerRow; ++i) {
    if (i) dkim += ',';
    dkim += enc(r.dkim[i].domain) + ';' + enc(r.dkim[i].selector) + ';' + enc(r.dkim[i].result);
  }
  field("dkim", dkim);
  field("spf", enc(r.spf.domain) + ';' + enc(r.spf.scope) + ';' + enc(r.spf.result));
  field("align", std::string(r.dkim_aligned ? "pass" : "fail") + ';' + (r.spf_aligned ? "pass" : "fail"));
  field("disp", to_string(r.disposition));
  std::string reasons;
  for (size_t i = 0; i < r.reasons.size(); ++i) {
    if (i) reasons += ',';
    reasons += std::string(to_string(r.reasons[i].type)) + ';' + enc(r.reasons[i].comment);
  }
  field("reason", reasons);
  const PublishedPolicy& p = r.policy;
  field("pol", enc(p.p) + ';' + enc(p.sp) + ';' + enc(p.np) + ';' + enc(p.adkim) + ';' + enc(p.aspf) + ';' +
                   (p.testing ? "y" : "n") + ';' + enc(p.psd) + ';' + enc(p.fo));
  std::string rua;
  for (size_t i = 0; i < r.rua.size(); ++i) {
    if (i) rua += ',';
    rua += enc(r.rua[i]);
  }
  field("rua", rua);
  return out;
}

core::Expected<EvaluationRecord, std::string> parse_record(std::string_view line) {
  const auto fields = split(line, '\t');
  if (fields.empty() || fields[0] != kVersion) return bad("not a " + std::string(kVersion) + " line");
  std::map<std::string_view, std::string_view> kv;
  for (size_t i = 1; i < fields.size(); ++i) {
    const size_t eq = fields[i].find('=');
    if (eq == std::string_view::npos || eq == 0) return bad("a field without key=value");
    if (!kv.emplace(fields[i].substr(0, eq), fields[i].substr(eq + 1)).second) return bad("a repeated field");
  }
  auto need = [&kv](std::string_view key) -> std::optional<std::string_view> {
    const auto it = kv.find(key);
    if (it == kv.end()) return std::nullopt;
    return it->second;
  };
  auto text = [&kv](std::string_view key) -> std::optional<std::string> {
    const auto it = kv.find(key);
    if (it == kv.end()) return std::string();
    return dec(it->second);
  };
  EvaluationRecord r;
  for (const auto key : {"from", "pd", "ip", "spf", "align", "disp", "pol"}) {
    if (!need(key)) return bad(std::string("missing field ") + key);
  }
  const auto from = text("from");
  const auto pd = text("pd");
  const auto ip = text("ip");
  const auto mf = text("mf");
  const auto to = text("to");
  if (!from || !pd || !ip || !mf || !to) return bad("a bad escape");
  if (from->empty() || pd->empty() || ip->empty()) return bad("an empty domain or address");
  r.header_from = *from;
  r.policy_domain = *pd;
  r.source_ip = *ip;
  r.envelope_from = *mf;
  r.envelope_to = *to;

  if (const auto dkim = need("dkim")) {
    const auto list = items(*dkim);
    if (list.size() > kMaxDkimPerRow) return bad("more than 100 DKIM results");
    for (const auto item : list) {
      const auto parts = split(item, ';');
      if (parts.size() != 3) return bad("a DKIM result without domain;selector;result");
      auto d = dec(parts[0]), s = dec(parts[1]), res = dec(parts[2]);
      if (!d || !s || !res) return bad("a bad escape in dkim");
      if (!one_of(*res, kDkimResults)) return bad("an unknown DKIM result");
      r.dkim.push_back({std::move(*d), std::move(*s), std::move(*res)});
    }
  }
  {
    const auto parts = split(*need("spf"), ';');
    if (parts.size() != 3) return bad("spf is not domain;scope;result");
    auto d = dec(parts[0]), scope = dec(parts[1]), res = dec(parts[2]);
    if (!d || !scope || !res) return bad("a bad escape in spf");
    if (*scope != "mfrom" && *scope != "helo") return bad("an unknown SPF scope");
    if (!one_of(*res, kSpfResults)) return bad("an unknown SPF result");
    r.spf = {std::move(*d), std::move(*scope), std::move(*res)};
  }
  {
    const auto parts = split(*need("align"), ';');
    if (parts.size() != 2) return bad("align is not dkim;spf");
    for (const auto p : parts) {
      if (p != "pass" && p != "fail") return bad("an alignment that is not pass or fail");
    }
    r.dkim_aligned = parts[0] == "pass";
    r.spf_aligned = parts[1] == "pass";
  }
  const auto disp = parse_disposition(*need("disp"));
  if (!disp) return bad("an unknown disposition");
  r.disposition = *disp;
  if (const auto reasons = need("reason")) {
    for (const auto item : items(*reasons)) {
      const auto parts = split(item, ';');
      if (parts.size() != 2) return bad("a reason without type;comment");
      const auto type = parse_override(parts[0]);
      auto comment = dec(parts[1]);
      if (!type || !comment) return bad("a bad reason");
      r.reasons.push_back({*type, std::move(*comment)});
    }
  }
  {
    const auto parts = split(*need("pol"), ';');
    if (parts.size() != 8) return bad("pol is not p;sp;np;adkim;aspf;t;psd;fo");
    std::array<std::string, 8> v;
    for (size_t i = 0; i < 8; ++i) {
      auto d = dec(parts[i]);
      if (!d) return bad("a bad escape in pol");
      v[i] = std::move(*d);
    }
    if (!one_of(v[0], kPolicies) || (!v[1].empty() && !one_of(v[1], kPolicies)) ||
        (!v[2].empty() && !one_of(v[2], kPolicies)) || !one_of(v[3], kModes) || !one_of(v[4], kModes) ||
        (v[5] != "y" && v[5] != "n") || (v[6] != "y" && v[6] != "n" && v[6] != "u")) {
      return bad("a policy tag outside its values");
    }
    r.policy = {v[0], v[1], v[2], v[3], v[4], v[5] == "y", v[6], v[7]};
  }
  if (const auto rua = need("rua")) {
    for (const auto item : items(*rua)) {
      auto u = dec(item);
      if (!u || u->empty()) return bad("a bad rua URI");
      r.rua.push_back(std::move(*u));
    }
  }
  return r;
}

}  // namespace hikyaku::dmarc_reports
