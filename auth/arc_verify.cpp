// RFC 8617 §5.2 chain validation: §4.1 (ARC set = AAR + AMS + AS of one instance, i= 1..50),
// §4.1.1 (AAR "i=N;" prefix), §4.1.2 (AMS: DKIM-signature rules, no ARC-Seal in h=), §4.1.3
// (AS: no h=, cv= none for i=1 and pass above), §5.1.1 (seal input: sets 1..i, relaxed).
#include "auth/arc_verify.hpp"

#include <array>
#include <charconv>
#include <map>
#include <vector>

#include "auth/arc_crypto.hpp"
#include "auth/body_hash.hpp"
#include "auth/dkim_canon.hpp"
#include "auth/tag_list.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

constexpr int kMaxInstances = 50;  // RFC 8617 §4.2.1

bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::optional<int> parse_instance(std::string_view v) {
  if (v.empty() || v.size() > 2) return std::nullopt;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > kMaxInstances) return std::nullopt;
  return n;
}

// AAR value: [FWS] "i" [FWS] "=" [FWS] 1*DIGIT [FWS] ";" ... (RFC 8617 §4.1.1).
std::optional<int> aar_instance(std::string_view v) {
  size_t p = 0;
  auto skip = [&] {
    while (p < v.size() && is_fws(v[p])) ++p;
  };
  skip();
  if (p >= v.size() || v[p] != 'i') return std::nullopt;
  ++p;
  skip();
  if (p >= v.size() || v[p] != '=') return std::nullopt;
  ++p;
  skip();
  const size_t start = p;
  while (p < v.size() && v[p] >= '0' && v[p] <= '9') ++p;
  const auto n = parse_instance(v.substr(start, p - start));
  skip();
  if (!n || p >= v.size() || v[p] != ';') return std::nullopt;
  return n;
}

// selector / domain: dot-separated labels of letters, digits, "-" and "_" (RFC 6376 §3.1).
bool valid_name(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

bool digits_only(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

struct ArcSet {
  const core::HeaderField* aar = nullptr;
  const core::HeaderField* ams = nullptr;
  const core::HeaderField* as = nullptr;
  TagList ams_tags;
  TagList as_tags;
};

using Verdict = core::Expected<bool, std::string>;

Verdict fail(std::string why) { return core::unexpected(std::move(why)); }

// Checks d=, s=, a=, b= common to AMS and AS; returns the algorithm and decoded signature.
core::Expected<std::pair<SigAlgorithm, std::string>, std::string> common_tags(const TagList& t) {
  for (const char* required : {"a", "b", "d", "s"}) {
    if (t.find(required) == nullptr) return core::unexpected(std::string("missing ") + required + "=");
  }
  const auto alg = parse_sig_algorithm(*t.find("a"));
  if (!alg) return core::unexpected("unsupported a=" + *t.find("a"));
  if (!valid_name(*t.find("d"))) return core::unexpected(std::string("bad d="));
  if (!valid_name(*t.find("s"))) return core::unexpected(std::string("bad s="));
  if (const auto* ts = t.find("t"); ts && !digits_only(*ts)) {
    return core::unexpected(std::string("bad t="));
  }
  auto sig = base64_decode(*t.find("b"));
  if (!sig || sig->empty()) return core::unexpected(std::string("bad b="));
  return std::pair{*alg, std::move(*sig)};
}

Verdict check_signature(const TagList& t, SigAlgorithm alg, const std::string& data,
                        const std::string& sig, const KeyLookup& lookup) {
  std::string name = *t.find("s") + "._domainkey." + *t.find("d");
  for (char& c : name) c = core::ascii_lower(c);
  const auto record = lookup(name);
  if (!record) return fail("no key record at " + name);
  auto ok = verify_with_key_record(alg, *record, data, sig);
  if (!ok) return fail(ok.error());
  return true;
}

// The body hashes of one message, each taken once per canonicalization and l= and then shared by
// every AMS asking for it; nullopt when l= exceeds the canonical body.
class BodyHashes {
 public:
  explicit BodyHashes(std::string_view body) : body_(body) {}
  const std::optional<std::string>& get(Canon c, std::optional<uint64_t> length) {
    const auto key = std::pair{c, length};
    auto it = hashes_.find(key);
    if (it == hashes_.end()) {
      std::optional<std::string> digest;
      if (!length) {
        digest = body_hash(c, body_).digest;
      } else if (const auto input = body_hash_input(c, body_, length)) {
        digest = sha256(*input);
      }
      it = hashes_.emplace(key, std::move(digest)).first;
    }
    return it->second;
  }

 private:
  std::string_view body_;
  std::map<std::pair<Canon, std::optional<uint64_t>>, std::optional<std::string>> hashes_;
};

Verdict verify_ams(const core::Message& m, const ArcSet& set, const KeyLookup& lookup,
                   BodyHashes& body_hashes) {
  const TagList& t = set.ams_tags;
  auto common = common_tags(t);
  if (!common) return fail("AMS: " + common.error());
  const auto* bh = t.find("bh");
  const auto* h = t.find("h");
  if (bh == nullptr || h == nullptr) return fail("AMS: missing bh= or h=");
  // No c= on an AMS: relaxed/relaxed, as the suite (ams_fields_c_na) and dkimpy read it; RFC
  // 6376 §3.5's simple/simple default would fail every AMS signed without c=.
  CanonPair canon{Canon::relaxed, Canon::relaxed};
  if (const auto* c = t.find("c")) {
    const auto parsed = parse_canon(*c);
    if (!parsed) return fail("AMS: bad c=");
    canon = *parsed;
  }
  std::optional<uint64_t> length;
  if (const auto* l = t.find("l")) {
    uint64_t n = 0;
    const auto r = std::from_chars(l->data(), l->data() + l->size(), n);
    if (!digits_only(*l) || r.ec != std::errc{}) return fail("AMS: bad l=");
    length = n;
  }
  // An empty h= signs only the AMS itself; the suite (ams_fields_h_empty) expects it to pass.
  const auto names = split_header_names(*h);
  for (const auto& n : names) {
    if (n == "arc-seal") return fail("AMS: h= includes ARC-Seal");
  }
  const auto want_bh = base64_decode(*bh);
  if (!want_bh || want_bh->empty()) return fail("AMS: bad bh=");
  const auto& digest = body_hashes.get(canon.body, length);
  if (!digest) return fail("AMS: l= exceeds the body");
  if (*digest != *want_bh) return fail("AMS: body hash mismatch");
  const std::string data = signed_header_data(m, canon.header, names, m.field_text(*set.ams));
  auto ok = check_signature(t, common->first, data, common->second, lookup);
  if (!ok) return fail("AMS: " + ok.error());
  return true;
}

Verdict verify_as(const core::Message& m, const std::vector<ArcSet>& sets, int i,
                  const KeyLookup& lookup) {
  const TagList& t = sets[i].as_tags;
  auto common = common_tags(t);
  if (!common) return fail("AS: " + common.error());
  if (t.find("h") != nullptr) return fail("AS: h= present");
  std::string data;
  for (int j = 1; j <= i; ++j) {
    data.append(canon_header(Canon::relaxed, m.field_text(*sets[j].aar)));
    data.append(canon_header(Canon::relaxed, m.field_text(*sets[j].ams)));
    if (j < i) data.append(canon_header(Canon::relaxed, m.field_text(*sets[j].as)));
  }
  std::string self = canon_header(Canon::relaxed, without_b_value(m.field_text(*sets[i].as)));
  self.resize(self.size() - 2);
  data.append(self);
  auto ok = check_signature(t, common->first, data, common->second, lookup);
  if (!ok) return fail("AS: " + ok.error());
  return true;
}

ArcResult failed(int n, std::string reason) {
  ArcResult r;
  r.cv = ArcResult::Cv::fail;
  r.instances = n;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

const char* to_string(ArcResult::Cv cv) {
  switch (cv) {
    case ArcResult::Cv::none: return "none";
    case ArcResult::Cv::pass: return "pass";
    case ArcResult::Cv::fail: return "fail";
  }
  return "fail";
}

ArcResult arc_verify(const core::Message& m, const KeyLookup& lookup) {
  // Step 1: collect the ARC sets by instance.
  std::vector<ArcSet> sets(kMaxInstances + 1);
  int n = 0;
  bool any = false;
  for (const auto& f : m.fields()) {
    const std::string_view name = m.field_name(f);
    const bool is_aar = core::ascii_iequals(name, "ARC-Authentication-Results");
    const bool is_ams = core::ascii_iequals(name, "ARC-Message-Signature");
    const bool is_as = core::ascii_iequals(name, "ARC-Seal");
    if (!is_aar && !is_ams && !is_as) continue;
    any = true;
    std::optional<int> i;
    TagList tags;
    if (is_aar) {
      i = aar_instance(m.field_value(f));
      if (!i) return failed(0, "ARC-Authentication-Results without a valid i= prefix");
    } else {
      auto parsed = parse_tag_list(m.field_value(f));
      const char* what = is_ams ? "ARC-Message-Signature" : "ARC-Seal";
      if (!parsed) return failed(0, std::string(what) + ": " + to_string(parsed.error()));
      tags = std::move(*parsed);
      const auto* iv = tags.find("i");
      if (iv != nullptr) i = parse_instance(*iv);
      if (!i) return failed(0, std::string(what) + " without a valid i=");
    }
    ArcSet& set = sets[*i];
    const core::HeaderField*& slot = is_aar ? set.aar : is_ams ? set.ams : set.as;
    if (slot != nullptr) return failed(0, "two ARC header fields of one kind with i=" + std::to_string(*i));
    slot = &f;
    if (is_ams) set.ams_tags = std::move(tags);
    if (is_as) set.as_tags = std::move(tags);
    if (*i > n) n = *i;
  }
  if (!any) return ArcResult{};
  // Step 2: the newest seal's cv= must not be fail.
  if (sets[n].as != nullptr) {
    if (const auto* cv = sets[n].as_tags.find("cv"); cv && *cv == "fail") {
      return failed(n, "the newest ARC-Seal says cv=fail");
    }
  }
  // Step 3: complete sets 1..N, cv=none only at i=1 and pass above.
  for (int i = 1; i <= n; ++i) {
    if (!sets[i].aar || !sets[i].ams || !sets[i].as) {
      return failed(n, "ARC set " + std::to_string(i) + " is incomplete");
    }
    const auto* cv = sets[i].as_tags.find("cv");
    if (cv == nullptr) return failed(n, "ARC-Seal i=" + std::to_string(i) + " without cv=");
    if (*cv != (i == 1 ? "none" : "pass")) {
      return failed(n, "ARC-Seal i=" + std::to_string(i) + " has cv=" + *cv);
    }
  }
  // Step 4: the newest AMS.
  BodyHashes body_hashes(m.body());
  if (auto ok = verify_ams(m, sets[n], lookup, body_hashes); !ok) {
    return failed(n, "i=" + std::to_string(n) + " " + ok.error());
  }
  // Step 5: oldest-pass over the older AMSs (informational; never fails the chain).
  int oldest_pass = 0;
  for (int i = n - 1; i >= 1; --i) {
    if (!verify_ams(m, sets[i], lookup, body_hashes)) {
      oldest_pass = i + 1;
      break;
    }
  }
  // Step 6: every ARC-Seal, newest first.
  for (int i = n; i >= 1; --i) {
    if (auto ok = verify_as(m, sets, i, lookup); !ok) {
      return failed(n, "i=" + std::to_string(i) + " " + ok.error());
    }
  }
  ArcResult r;
  r.cv = ArcResult::Cv::pass;
  r.instances = n;
  r.oldest_pass = oldest_pass;
  return r;
}

}  // namespace hikyaku::auth
