// Signature primitives for ARC and DKIM verification and signing: base64 (RFC 6376 §2.4 with FWS
// ignored), key records (RFC 6376 §3.6.1), RSA-SHA256 (RFC 8301: >= 1024 bits) and
// Ed25519-SHA256 (RFC 8463) over OpenSSL 3 EVP_DigestVerify / EVP_DigestSign, with private keys
// parsed once and SHA-256 fetched once.
#pragma once
#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace hikyaku::auth {

enum class SigAlgorithm { rsa_sha256, ed25519_sha256 };

// "rsa-sha256" / "ed25519-sha256"; nullopt for anything else (rsa-sha1 included: RFC 8301).
std::optional<SigAlgorithm> parse_sig_algorithm(std::string_view a);

// Strict base64 with FWS skipped; nullopt on a bad character, bad padding or bad length.
std::optional<std::string> base64_decode(std::string_view text);

// SHA-256 as fetched once from the default provider (EVP_MD_fetch), for every digest we take.
const EVP_MD* sha256_md();

std::string sha256(std::string_view data);

// Verifies `signature` over `data` with the key in `key_record` (a DKIM key TXT record).
// The error is a one-line reason ("key revoked", "signature mismatch", ...).
core::Expected<bool, std::string> verify_with_key_record(SigAlgorithm alg,
                                                         std::string_view key_record,
                                                         std::string_view data,
                                                         std::string_view signature);

// Base64 without line breaks (RFC 6376 §2.4), for b= and bh=.
std::string base64_encode(std::string_view bin);

// A private key parsed once, when the configuration is loaded, and shared by every signature
// made with it. The EVP_PKEY is reference-counted and only read while signing (each signature
// has its own EVP_MD_CTX), so one key signs on several threads at once. Copies share the key.
class PrivateKey {
 public:
  PrivateKey() = default;
  // Takes ownership of `pkey` (may be null: an empty key).
  explicit PrivateKey(EVP_PKEY* pkey);
  // An unencrypted PEM private key (PKCS#8, or PKCS#1 RSA). The error is a one-line reason and
  // never carries key material.
  static core::Expected<PrivateKey, std::string> from_pem(std::string_view pem);

  EVP_PKEY* get() const { return pkey_.get(); }
  explicit operator bool() const { return pkey_ != nullptr; }
  // rsa_sha256 for an RSA key, ed25519_sha256 for an Ed25519 key, nullopt for anything else.
  std::optional<SigAlgorithm> algorithm() const;

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
};

// Signs `data` with `key` over OpenSSL 3 EVP_DigestSign: RSASSA-PKCS1-v1_5 with SHA-256, or
// Ed25519 over SHA-256(data) (RFC 8463 §3). Returns the raw signature; the error is a one-line
// reason. Safe to call from several threads with the same key.
core::Expected<std::string, std::string> sign_with_private_key(SigAlgorithm alg,
                                                               const PrivateKey& key,
                                                               std::string_view data);

}  // namespace hikyaku::auth
