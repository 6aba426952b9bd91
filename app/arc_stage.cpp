// ARC in the pipeline: the sealing key read and parsed once from [arc], auth::arc_seal for the
// new set (the incoming chain is validated by auth/arc_chain).
#include "app/arc_stage.hpp"

#include <fstream>
#include <sstream>

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
    if (auto key = dkim::parse_signing_key(pem.str(), arc.domain, arc.selector, dkim_alg,
                                           arc.private_key, dkim::kMinRsaSigningBits)) {
      return std::optional<ArcSealer>(ArcSealer{arc.domain, arc.selector, key->private_key(),
                                                sig_alg, config.auth.authserv_id});
    }
  }
  return core::unexpected(config.source_path + ": [arc]: " + arc.private_key +
                          ": not an RSA (2048 bits or more) or Ed25519 private key");
}

core::Expected<std::string, std::string> seal_arc(const ArcSealer& sealer, const core::Message& msg,
                                                  const auth::ArcResult& chain, int64_t now,
                                                  const auth::BodyHash* body_hash) {
  auth::ArcSealParams p;
  p.domain = sealer.domain;
  p.selector = sealer.selector;
  p.key = sealer.private_key;
  p.alg = sealer.algorithm;
  p.authserv_id = sealer.authserv_id;
  // The AAR carries our Authentication-Results (RFC 8617 §4.1.1), already on `msg`; without
  // one (the CLI seals bare messages) it says what we know: the chain's cv.
  p.auth_results = auth::consolidate_auth_results(msg, sealer.authserv_id);
  if (p.auth_results.empty()) p.auth_results = std::string("arc=") + auth::to_string(chain.cv);
  for (const char* h : dkim::signed_header_names()) p.ams_headers.push_back(core::ascii_lower(h));
  p.timestamp = now;
  p.chain = &chain;
  p.body_hash = body_hash;
  return auth::arc_seal(msg, p);
}

}  // namespace hikyaku::app
