// DKIM signing keys: loaded once at start or reload from PEM files, parsed and checked with
// OpenSSL there (RSA >= 2048 bits for rsa-sha256, RFC 8301 §3.2; Ed25519 PKCS#8 for
// ed25519-sha256, RFC 8463 §3), and the public TXT record to publish for each (RFC 6376 §3.6.1,
// RFC 8463 §4).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "auth/arc_crypto.hpp"
#include "config/config.hpp"
#include "core/expected.hpp"

namespace hikyaku::dkim {

enum class Algorithm { rsa_sha256, ed25519_sha256 };

// "rsa-sha256" / "ed25519-sha256" (the a= tag value).
std::string_view algorithm_name(Algorithm a);

// RFC 8301 §3.2: verifiers accept 1024..4096; we sign with at least 2048.
inline constexpr int kMinRsaSigningBits = 2048;

// A private key ready for signing: parsed once, here, and shared by every signature (and every
// copy of this SigningKey). Key material is never printed, logged or part of an error message.
class SigningKey {
 public:
  const std::string& domain() const { return domain_; }
  const std::string& selector() const { return selector_; }
  Algorithm algorithm() const { return algorithm_; }
  int bits() const { return bits_; }
  // The parsed key (an RSA or Ed25519 EVP_PKEY, matching algorithm()).
  const auth::PrivateKey& private_key() const { return private_key_; }

 private:
  friend core::Expected<SigningKey, std::string> parse_signing_key(
      std::string pem, const std::string& domain, const std::string& selector,
      Algorithm algorithm, std::string_view origin, int min_rsa_bits);
  friend std::string public_key_record(const SigningKey& key);
  std::string domain_;
  std::string selector_;
  Algorithm algorithm_ = Algorithm::rsa_sha256;
  int bits_ = 0;
  auth::PrivateKey private_key_;
  std::string public_b64_;  // p= value: SPKI DER (RSA) or the raw 32 bytes (Ed25519)
};

// Checks a PEM private key against the algorithm. `origin` names the key in errors (a path).
// min_rsa_bits exists for test vectors only (RFC 8463's RSA key has 1024 bits).
core::Expected<SigningKey, std::string> parse_signing_key(
    std::string pem, const std::string& domain, const std::string& selector, Algorithm algorithm,
    std::string_view origin, int min_rsa_bits = kMinRsaSigningBits);

// Reads and checks one configured key; errors name the file.
core::Expected<SigningKey, std::string> load_signing_key(const config::DkimKeyConfig& cfg);

// The TXT record value for <selector>._domainkey.<domain>: "v=DKIM1; k=rsa; p=..." or
// "v=DKIM1; k=ed25519; p=..." (RFC 6376 §3.6.1, RFC 8463 §4).
std::string public_key_record(const SigningKey& key);

class KeyStore {
 public:
  KeyStore() = default;
  // Loads every entry; all errors are reported together, one per bad key.
  static core::Expected<KeyStore, std::vector<std::string>> load(
      const std::vector<config::DkimKeyConfig>& entries);
  explicit KeyStore(std::vector<SigningKey> keys) : keys_(std::move(keys)) {}

  const std::vector<SigningKey>& keys() const { return keys_; }
  // The keys whose d= is `domain` (case-insensitive), in configuration order.
  std::vector<const SigningKey*> for_domain(std::string_view domain) const;
  bool empty() const { return keys_.empty(); }

 private:
  std::vector<SigningKey> keys_;
};

}  // namespace hikyaku::dkim
