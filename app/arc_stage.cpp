// ARC in the pipeline: key names from the ARC-Seal and AMS tag lists (d=, s=), TXT lookups
// through dns/, auth::arc_verify over the prefetched records, auth::arc_seal for the new set.
#include "app/arc_stage.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "auth/tag_list.hpp"
#include "core/address.hpp"
#include "core/ascii.hpp"
#include "dkim/key_store.hpp"
#include "dkim/signer.hpp"

namespace hikyaku::app {

core::Expected<std::optional<ArcSealer>, std::string> ArcSealer::from(const config::Config& config) {
  const auto& arc = config.arc;
  if (!arc.enabled) return std::optional<ArcSealer>{};
  std::ifstream in(arc.private_key);
  std::stringstream pem;
  pem << in.rdbuf();
  if (!in) return core::unexpected(config.source_path + ": [arc]: cannot read " + arc.private_key);
  // The key's type decides the algorithm: RSA (rsa-sha256) or Ed25519 (RFC 8463).
  for (auto [dkim_alg, sig_alg] : {std::pair{dkim::Algorithm::rsa_sha256, auth::SigAlgorithm::rsa_sha256},
                                   std::pair{dkim::Algorithm::ed25519_sha256, auth::SigAlgorithm::ed25519_sha256}}) {
    if (dkim::parse_signing_key(pem.str(), arc.domain, arc.selector, dkim_alg, arc.private_key,
                                dkim::kMinRsaSigningBits)) {
      return std::optional<ArcSealer>(
          ArcSealer{arc.domain, arc.selector, pem.str(), sig_alg, config.auth.authserv_id});
    }
  }
  return core::unexpected(config.source_path + ": [arc]: " + arc.private_key +
                          ": not an RSA (2048 bits or more) or Ed25519 private key");
}

asio::awaitable<auth::ArcResult> verify_arc_chain(dns::Resolver& resolver, const core::Message& msg) {
  std::map<std::string, std::optional<std::string>> keys;
  for (const auto& field : msg.fields()) {
    const auto name = msg.field_name(field);
    if (!core::ascii_iequals(name, "ARC-Seal") && !core::ascii_iequals(name, "ARC-Message-Signature")) {
      continue;
    }
    auto tags = auth::parse_tag_list(msg.field_value(field));
    if (!tags) continue;  // the verifier reports the malformed field
    const std::string* d = tags->find("d");
    const std::string* s = tags->find("s");
    if (!d || !s) continue;
    keys.emplace(core::ascii_lower(*s + "._domainkey." + *d), std::nullopt);
  }
  for (auto& [name, record] : keys) {
    const auto answer = co_await resolver.query(name, dns::RecordType::txt);
    if (answer.ok() && !answer.texts.empty()) record = answer.texts.front();
  }
  co_return auth::arc_verify(msg, [&keys](const std::string& name) -> std::optional<std::string> {
    const auto it = keys.find(name);
    return it == keys.end() ? std::nullopt : it->second;
  });
}

core::Expected<std::string, std::string> seal_arc(const ArcSealer& sealer, const core::Message& msg,
                                                  const auth::ArcResult& chain, int64_t now) {
  auth::ArcSealParams p;
  p.domain = sealer.domain;
  p.selector = sealer.selector;
  p.private_key_pem = sealer.private_key_pem;
  p.alg = sealer.algorithm;
  p.authserv_id = sealer.authserv_id;
  // Our Authentication-Results payload; SPF/DKIM/DMARC results join it with the auth checks.
  p.auth_results = std::string("arc=") + auth::to_string(chain.cv);
  for (const char* h : dkim::signed_header_names()) p.ams_headers.push_back(core::ascii_lower(h));
  p.timestamp = now;
  p.chain = &chain;
  return auth::arc_seal(msg, p);
}

}  // namespace hikyaku::app
