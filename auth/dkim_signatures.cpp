// DKIM-Signature fields to key names: RFC 6376 §3.5 tags (v=, a=, d=, s=, q=), §3.6.2.1
// "s._domainkey.d", §6.1.1 which signatures to check (at most kMaxDkimSignatures), RFC 8301
// §3.1 (no lookup for rsa-sha1).
#include "auth/dkim_signatures.hpp"

#include <string_view>

#include "auth/tag_list.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {
namespace {

constexpr size_t kMaxKeyNameLength = 253;  // presentation form without the trailing dot

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

// d= and s= (RFC 6376 §3.5: domain-name / selector = sub-domain *("." sub-domain)): labels of
// letters, digits, '-' and '_' (used by real selectors), 1..63 each; no empty label.
bool valid_dns_labels(std::string_view s) {
  if (s.empty()) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (is_label_char(c)) {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label != 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = core::ascii_lower(c);
  return out;
}

// q= (RFC 6376 §3.5): a colon-separated list of methods; only "dns/txt" is defined.
bool offers_dns_txt(std::string_view q) {
  const std::string stripped = strip_fws(q);
  std::string_view rest = stripped;
  while (true) {
    const size_t colon = rest.find(':');
    if (lower(rest.substr(0, colon)) == "dns/txt") return true;
    if (colon == std::string_view::npos) return false;
    rest.remove_prefix(colon + 1);
  }
}

DkimSignatureRef parse_ref(const core::Message& message, size_t index) {
  DkimSignatureRef ref;
  ref.field_index = index;
  auto tags = parse_tag_list(message.field_value(message.fields()[index]));
  if (!tags) {
    ref.problem = std::string("tag list ") + to_string(tags.error());
    return ref;
  }
  const TagList& t = *tags;
  if (const auto* d = t.find("d")) ref.domain = *d;
  if (const auto* s = t.find("s")) ref.selector = *s;
  if (const auto* a = t.find("a")) ref.algorithm = *a;
  if (const auto* b = t.find("b")) ref.b_prefix = strip_fws(*b).substr(0, 8);

  const std::string* v = t.find("v");
  if (v == nullptr || *v != "1") {
    ref.problem = v == nullptr ? "v= missing" : "unsupported version v=" + *v;
  } else if (ref.algorithm.empty()) {
    ref.problem = "a= missing";
  } else if (ref.algorithm != "rsa-sha256" && ref.algorithm != "ed25519-sha256") {
    ref.problem = "unsupported algorithm " + ref.algorithm;
  } else if (!valid_dns_labels(ref.domain)) {
    ref.problem = ref.domain.empty() ? "d= missing" : "d= is not a domain name";
  } else if (!valid_dns_labels(ref.selector)) {
    ref.problem = ref.selector.empty() ? "s= missing" : "s= is not a selector";
  } else if (const auto* q = t.find("q"); q != nullptr && !offers_dns_txt(*q)) {
    ref.problem = "q= offers no dns/txt";
  } else {
    std::string name = lower(ref.selector) + "._domainkey." + lower(ref.domain);
    if (name.size() > kMaxKeyNameLength) {
      ref.problem = "key name too long";
    } else {
      ref.key_name = std::move(name);
    }
  }
  return ref;
}

}  // namespace

std::vector<DkimSignatureRef> dkim_signature_refs(const core::Message& message) {
  std::vector<DkimSignatureRef> refs;
  const auto& fields = message.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!core::ascii_iequals(message.field_name(fields[i]), "DKIM-Signature")) continue;
    if (refs.size() < kMaxDkimSignatures) {
      refs.push_back(parse_ref(message, i));
      continue;
    }
    DkimSignatureRef ref = parse_ref(message, i);
    ref.key_name.clear();
    ref.beyond_limit = true;
    ref.problem = "not checked: more than " + std::to_string(kMaxDkimSignatures) + " signatures";
    refs.push_back(std::move(ref));
  }
  return refs;
}

const char* to_string(DkimKeyRecord::Status s) {
  switch (s) {
    case DkimKeyRecord::Status::found: return "found";
    case DkimKeyRecord::Status::absent: return "absent";
    case DkimKeyRecord::Status::temperror: return "temperror";
  }
  return "?";
}

}  // namespace hikyaku::auth
