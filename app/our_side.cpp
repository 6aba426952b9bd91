// Our side from the configuration; keys loaded as the relay loads them (dkim/key_store).
#include "app/our_side.hpp"

#include <fstream>
#include <sstream>

#include "dkim/key_store.hpp"

namespace hikyaku::app {

core::Expected<doctor::OurSide, std::string> our_side(const config::Config& config) {
  doctor::OurSide ours;
  for (const auto& m : config.doctor.inbound_mx) ours.inbound_mx.push_back(doctor::OurMx{m.preference, m.host});
  ours.spf_include = config.doctor.spf_include;
  ours.egress = config.relay.source_ipv4;
  ours.egress.insert(ours.egress.end(), config.relay.source_ipv6.begin(), config.relay.source_ipv6.end());
  ours.egress_prefixes = config.doctor.egress_prefixes;
  ours.helo_name = config.relay.helo_name;
  ours.srs_domain = config.srs.domain;
  for (const auto& c : config.doctor.cnames) ours.cnames.emplace_back(c.label, c.target);
  auto store = dkim::KeyStore::load(config.dkim_keys);
  if (!store) {
    std::string errors;
    for (const auto& e : store.error()) errors += (errors.empty() ? "" : "\n") + e;
    return core::unexpected(errors);
  }
  for (const auto& key : store->keys()) {
    ours.keys.push_back(doctor::OurKey{key.domain(), key.selector(), dkim::public_key_record(key), false});
  }
  if (config.arc.enabled) {
    std::ifstream in(config.arc.private_key);
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in) return core::unexpected("[arc]: cannot read " + config.arc.private_key);
    std::optional<dkim::SigningKey> key;
    for (const auto alg : {dkim::Algorithm::rsa_sha256, dkim::Algorithm::ed25519_sha256}) {
      auto parsed = dkim::parse_signing_key(pem.str(), config.arc.domain, config.arc.selector, alg, config.arc.private_key);
      if (parsed) {
        key = std::move(*parsed);
        break;
      }
    }
    if (!key) return core::unexpected("[arc]: " + config.arc.private_key + ": not an RSA or Ed25519 private key");
    ours.keys.push_back(doctor::OurKey{key->domain(), key->selector(), dkim::public_key_record(*key), true});
  }
  return ours;
}

}  // namespace hikyaku::app
