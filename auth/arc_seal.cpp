// RFC 8617 §5.1 sealing: §5.1.1 (AS input: the ARC sets 1..i in instance order, AAR, AMS, AS,
// relaxed; the new AS last with b= empty), §5.1.2 (cv=fail seals once; an incoming cv=fail is
// not sealed again), §4.1.2 (AMS as a DKIM signature, relaxed/relaxed, no ARC-Seal in h=).
#include "auth/arc_seal.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "auth/dkim_canon.hpp"
#include "auth/tag_list.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

constexpr int kMaxInstances = 50;  // RFC 8617 §4.2.1

bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_fws(std::string_view s) {
  while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = core::ascii_lower(c);
  return out;
}

// The instance of an AAR ("i=N; ..."), AMS or AS (i= tag); 0 when unreadable.
int instance_of(std::string_view value, bool is_aar) {
  std::string_view v = value;
  if (is_aar) {
    const size_t semi = v.find(';');
    if (semi == std::string_view::npos) return 0;
    v = v.substr(0, semi);
  }
  auto tags = parse_tag_list(v);
  if (!tags) return 0;
  const std::string* i = tags->find("i");
  if (i == nullptr || i->empty() || i->size() > 3) return 0;
  int n = 0;
  for (char c : *i) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

struct Existing {
  int highest = 0;
  bool last_seal_failed = false;  // the newest ARC-Seal says cv=fail
  // instance -> AAR, AMS, AS field texts (the last one seen of each kind)
  std::map<int, std::array<std::string_view, 3>> sets;
};

Existing scan(const core::Message& m) {
  Existing e;
  std::string last_cv;
  int last_seal = 0;
  for (const auto& f : m.fields()) {
    const std::string_view name = m.field_name(f);
    int kind = -1;
    if (core::ascii_iequals(name, "ARC-Authentication-Results")) kind = 0;
    if (core::ascii_iequals(name, "ARC-Message-Signature")) kind = 1;
    if (core::ascii_iequals(name, "ARC-Seal")) kind = 2;
    if (kind < 0) continue;
    const int i = instance_of(m.field_value(f), kind == 0);
    e.highest = std::max(e.highest, i);
    if (i > 0) e.sets[i][static_cast<size_t>(kind)] = m.field_text(f);
    if (kind == 2 && i >= last_seal) {
      last_seal = i;
      auto tags = parse_tag_list(m.field_value(f));
      const std::string* cv = tags ? tags->find("cv") : nullptr;
      last_cv = cv ? lower(*cv) : std::string();
    }
  }
  e.last_seal_failed = last_cv == "fail";
  return e;
}

// "name: t1=v1;\r\n t2=v2; ..." in tag-name order (the suite's standardized form). b= is not
// folded: the AS covers the AMS relaxed, where a fold inside b= would leave a space. Folds
// continue with a space, not a tab: python3-dkim finds an AMS by the literal text " i=N;".
std::string build_field(const char* name, std::vector<std::pair<std::string, std::string>> tags,
                        std::string_view b) {
  std::sort(tags.begin(), tags.end());
  std::string out = std::string(name) + ": ";
  for (size_t k = 0; k < tags.size(); ++k) {
    if (k > 0) out.append(";\r\n ");
    out.append(tags[k].first).append("=");
    out.append(tags[k].first == "b" ? std::string(b) : tags[k].second);
  }
  return out;
}

const char* alg_name(SigAlgorithm a) {
  return a == SigAlgorithm::rsa_sha256 ? "rsa-sha256" : "ed25519-sha256";
}

}  // namespace

std::string consolidate_auth_results(const core::Message& msg, std::string_view authserv_id) {
  std::string out;
  for (const auto* f : msg.find("Authentication-Results")) {
    const std::string_view v = msg.field_value(*f);
    const size_t semi = v.find(';');
    if (semi == std::string_view::npos) continue;
    if (!core::ascii_iequals(trim_fws(v.substr(0, semi)), authserv_id)) continue;
    std::string_view rest = v.substr(semi + 1);
    while (!rest.empty()) {
      const size_t end = std::min(rest.find(';'), rest.size());
      const std::string_view clause = trim_fws(rest.substr(0, end));
      if (!clause.empty()) {
        if (!out.empty()) out.append(";\r\n\t");
        out.append(clause);
      }
      rest.remove_prefix(end == rest.size() ? end : end + 1);
    }
  }
  return out;
}

core::Expected<std::string, std::string> arc_seal(const core::Message& msg,
                                                  const ArcSealParams& p) {
  if (p.domain.empty() || p.selector.empty() || p.authserv_id.empty()) {
    return core::unexpected(std::string("domain, selector and authserv-id are required"));
  }
  const std::vector<std::string> names = [&] {
    std::vector<std::string> n;
    for (const auto& h : p.ams_headers) {
      if (!trim_fws(h).empty()) n.push_back(lower(trim_fws(h)));
    }
    return n;
  }();
  for (const auto& n : names) {
    if (n == "arc-seal") return core::unexpected(std::string("AMS h= must not include ARC-Seal"));
    if (n.find(':') != std::string::npos) return core::unexpected(std::string("bad h= name"));
  }
  // Instance and cv (RFC 8617 §5.1, §5.1.2).
  const Existing existing = scan(msg);
  const int n = std::max(existing.highest, p.chain ? p.chain->instances : 0);
  if (n >= kMaxInstances) return core::unexpected(std::string("too many ARC instances"));
  const int i = n + 1;
  ArcResult::Cv cv = ArcResult::Cv::none;
  if (n > 0) {
    if (existing.last_seal_failed) return core::unexpected(std::string("chain already failed"));
    if (p.chain == nullptr) return core::unexpected(std::string("no chain validation result"));
    cv = p.chain->cv == ArcResult::Cv::pass ? ArcResult::Cv::pass : ArcResult::Cv::fail;
  }
  const std::string is = std::to_string(i);
  const std::string t = std::to_string(p.timestamp);
  const std::string d = lower(p.domain);
  const std::string s = lower(p.selector);

  // AAR (§4.1.1).
  const std::string results = trim_fws(p.auth_results).empty() ? "none" : p.auth_results;
  const std::string aar =
      "ARC-Authentication-Results: i=" + is + "; " + p.authserv_id + ";\r\n\t" + results;

  // AMS (§4.1.2): the headers h= selects from the message with the new AAR on top (the header
  // section only: the body is covered by bh=).
  const core::Message with_aar(aar + "\r\n" + std::string(msg.header_block()));
  if (p.body_hash != nullptr && p.body_hash->canon != Canon::relaxed) {
    return core::unexpected(std::string("AMS: body hash is not of the relaxed body"));
  }
  const std::string bh = p.body_hash != nullptr ? p.body_hash->base64()
                                                : body_hash(Canon::relaxed, msg.body()).base64();
  std::string h;
  for (const auto& name : names) h.append(h.empty() ? "" : ":").append(name);
  const std::vector<std::pair<std::string, std::string>> ams_tags = {
      {"a", alg_name(p.alg)}, {"b", ""}, {"bh", bh}, {"c", "relaxed/relaxed"}, {"d", d},
      {"h", h},               {"i", is}, {"s", s},   {"t", t}};
  const std::string ams_unsigned = build_field("ARC-Message-Signature", ams_tags, "");
  auto ams_sig = sign_with_private_key(
      p.alg, p.key, signed_header_data(with_aar, Canon::relaxed, names, ams_unsigned));
  if (!ams_sig) return core::unexpected("AMS: " + ams_sig.error());
  const std::string ams =
      build_field("ARC-Message-Signature", ams_tags, base64_encode(*ams_sig));

  // AS (§5.1.1): sets 1..n, then the new AAR and AMS, then the new AS with b= empty. A failed
  // chain's seal covers only the new set (its earlier sets may be missing or repeated).
  std::string data;
  if (cv == ArcResult::Cv::pass) {
    for (int j = 1; j <= n; ++j) {
      const auto it = existing.sets.find(j);
      if (it == existing.sets.end()) return core::unexpected(std::string("ARC set missing"));
      for (const auto& text : it->second) data.append(canon_header(Canon::relaxed, text));
    }
  }
  data.append(canon_header(Canon::relaxed, aar));
  data.append(canon_header(Canon::relaxed, ams));
  const std::vector<std::pair<std::string, std::string>> as_tags = {
      {"a", alg_name(p.alg)}, {"b", ""}, {"cv", to_string(cv)}, {"d", d},
      {"i", is},              {"s", s},  {"t", t}};
  std::string self = canon_header(Canon::relaxed, build_field("ARC-Seal", as_tags, ""));
  self.resize(self.size() - 2);
  data.append(self);
  auto as_sig = sign_with_private_key(p.alg, p.key, data);
  if (!as_sig) return core::unexpected("AS: " + as_sig.error());
  const std::string as = build_field("ARC-Seal", as_tags, base64_encode(*as_sig));
  return as + "\r\n" + ams + "\r\n" + aar + "\r\n";
}

}  // namespace hikyaku::auth
