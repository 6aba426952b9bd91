// DKIM key records for the selectors asked about: RFC 6376 §3.6.1 (v=, k=, p=, t=; an empty p=
// means revoked, t=y testing), RFC 8301 §3.2 (RSA keys of at least 1024 bits, 2048 advised),
// RFC 8463 §4 (Ed25519).
#include <memory>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/tag_list.hpp"
#include "doctor/checks.hpp"

namespace hikyaku::doctor {

std::optional<int> dkim_key_bits(std::string_view key_type, std::string_view p_base64) {
  const std::string b64 = auth::strip_fws(p_base64);
  if (b64.empty() || b64.size() > 8192 || b64.size() % 4 != 0) return std::nullopt;
  std::string der(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  if (b64.ends_with("==")) len -= 2;
  else if (b64.ends_with("=")) len -= 1;
  der.resize(len);
  if (key_type == "ed25519") {
    if (der.size() != 32) return std::nullopt;
    return 256;
  }
  if (key_type != "rsa") return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())),
                                                          &EVP_PKEY_free);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return std::nullopt;
  return EVP_PKEY_get_bits(key.get());
}

void check_dkim(const DoctorOptions& o, Lookup& lookup, Report& report) {
  for (const auto& selector : o.selectors) {
    const std::string name = selector + "._domainkey." + o.domain;
    const dns::DnsAnswer* txt = lookup.get(name, dns::RecordType::txt);
    if (txt == nullptr) continue;
    if (txt->temporary_failure()) {
      report.add(Severity::unknown, "dkim.unknown", name, fmt::format("the key lookup failed ({})", dns::to_string(txt->status)));
      continue;
    }
    if (txt->texts.empty()) {
      report.add(Severity::error, "dkim.missing", name,
                 fmt::format("no key record for selector \"{}\": signatures with s={} fail (permerror)", selector, selector),
                 fmt::format("{}. 3600 IN TXT \"v=DKIM1; k=rsa; p=<public key>\"", name));
      continue;
    }
    if (txt->texts.size() > 1) {
      report.add(Severity::error, "dkim.invalid", name, fmt::format("{} TXT records: verifiers may pick any", txt->texts.size()),
                 "keep one key record per selector");
      continue;
    }
    auto tags = auth::parse_tag_list(txt->texts.front());
    const std::string* p = tags ? tags->find("p") : nullptr;
    const std::string* v = tags ? tags->find("v") : nullptr;
    if (!tags || p == nullptr || (v != nullptr && (*v != "DKIM1" || tags->tags.front().name != "v"))) {
      report.add(Severity::error, "dkim.invalid", name,
                 !tags ? "the record is not a tag=value list (RFC 6376 §3.2)"
                       : p == nullptr ? "the record has no p= tag (RFC 6376 §3.6.1)"
                                      : "v= must be first and \"DKIM1\" (RFC 6376 §3.6.1)",
                 fmt::format("{}. 3600 IN TXT \"v=DKIM1; k=rsa; p=<public key>\"", name));
      continue;
    }
    if (auth::strip_fws(*p).empty()) {
      report.add(Severity::warn, "dkim.revoked", name, "p= is empty: the key is revoked and signatures with it fail",
                 "sign with another selector, or publish the key again");
      continue;
    }
    const std::string* k = tags->find("k");
    const std::string type = k ? *k : "rsa";
    auto bits = dkim_key_bits(type, *p);
    if (!bits) {
      report.add(Severity::error, "dkim.invalid", name,
                 fmt::format("p= does not hold a{} {} public key", type == "rsa" ? "n" : "", type),
                 "publish the base64 of the public key (SubjectPublicKeyInfo for RSA, the raw 32 octets for Ed25519)");
      continue;
    }
    if (type == "rsa" && *bits < 1024) {
      report.add(Severity::error, "dkim.weak_key", name,
                 fmt::format("a {}-bit RSA key: verifiers refuse keys under 1024 bits (RFC 8301 §3.2)", *bits),
                 "generate a 2048-bit key and publish it under a new selector");
    } else if (type == "rsa" && *bits < 2048) {
      report.add(Severity::warn, "dkim.weak_key", name,
                 fmt::format("a {}-bit RSA key: RFC 8301 §3.2 advises at least 2048 bits", *bits),
                 "generate a 2048-bit key and publish it under a new selector");
    }
    if (const std::string* t = tags->find("t")) {
      for (size_t i = 0; i <= t->size();) {
        const size_t colon = t->find(':', i);
        const std::string flag = auth::strip_fws(t->substr(i, colon == std::string::npos ? std::string::npos : colon - i));
        if (flag == "y") {
          report.add(Severity::warn, "dkim.testing", name,
                     "t=y: the domain is testing DKIM, and verifiers may treat failures as if unsigned (RFC 6376 §3.6.1)",
                     "remove t=y once signing works");
        }
        if (colon == std::string::npos) break;
        i = colon + 1;
      }
    }
    report.add(Severity::ok, "dkim.ok", name, fmt::format("{} key of {} bits", type, *bits));
  }
}

}  // namespace hikyaku::doctor
