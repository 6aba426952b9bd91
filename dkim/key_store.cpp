// DKIM key loading and checking with OpenSSL 3, and the public TXT record (RFC 6376 §3.6.1,
// RFC 8301 §3.2 key sizes, RFC 8463 §3-4 Ed25519 keys). Key material never enters a message.
#include "dkim/key_store.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <optional>

#include "core/ascii.hpp"

namespace hikyaku::dkim {
namespace {

// A PEM key is a few KiB; anything much larger is not a key file.
constexpr std::streamsize kMaxKeyFileBytes = 64 * 1024;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

// Encrypted keys are refused: there is no one to type a passphrase at start-up.
int no_passphrase(char*, int, int, void*) { return -1; }

std::string base64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                static_cast<int>(len));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::string openssl_reason() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "no PEM private key found";
  const char* r = ERR_reason_error_string(e);
  return r != nullptr ? r : "unreadable key";
}

core::Expected<std::string, std::string> public_b64(EVP_PKEY* pkey, Algorithm algorithm) {
  if (algorithm == Algorithm::ed25519_sha256) {
    unsigned char raw[32];
    size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof raw) {
      ERR_clear_error();
      return core::unexpected(std::string("cannot derive the Ed25519 public key"));
    }
    return base64(raw, len);
  }
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) {
    ERR_clear_error();
    return core::unexpected(std::string("cannot derive the RSA public key"));
  }
  std::string out = base64(der, static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  if (core::ascii_iequals(name, "rsa-sha256")) return Algorithm::rsa_sha256;
  if (core::ascii_iequals(name, "ed25519-sha256")) return Algorithm::ed25519_sha256;
  return std::nullopt;
}

}  // namespace

std::string_view algorithm_name(Algorithm a) {
  return a == Algorithm::ed25519_sha256 ? "ed25519-sha256" : "rsa-sha256";
}

core::Expected<SigningKey, std::string> parse_signing_key(std::string pem,
                                                          const std::string& domain,
                                                          const std::string& selector,
                                                          Algorithm algorithm,
                                                          std::string_view origin,
                                                          int min_rsa_bits) {
  struct Wipe {  // the PEM text does not outlive the parse
    std::string& text;
    ~Wipe() { OPENSSL_cleanse(text.data(), text.size()); }
  } wipe{pem};
  const std::string where(origin);
  auto fail = [&](const std::string& why) {
    return core::unexpected(where + ": " + why + " (DKIM key " + selector + "._domainkey." +
                            domain + ", " + std::string(algorithm_name(algorithm)) + ")");
  };
  if (pem.find('\0') != std::string::npos) return fail("not a PEM file (contains NUL bytes)");
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail("out of memory");
  ERR_clear_error();
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!pkey) return fail("not a readable unencrypted PEM private key (" + openssl_reason() + ")");

  const int type = EVP_PKEY_get_base_id(pkey.get());
  const int bits = EVP_PKEY_get_bits(pkey.get());
  if (algorithm == Algorithm::rsa_sha256) {
    if (type != EVP_PKEY_RSA) {
      return fail(std::string("rsa-sha256 needs an RSA key, this is ") +
                  (type == EVP_PKEY_ED25519 ? "an Ed25519 key" : "another key type"));
    }
    if (bits < min_rsa_bits) {
      return fail("RSA key has " + std::to_string(bits) + " bits; signing needs at least " +
                  std::to_string(min_rsa_bits) + " (RFC 8301 §3.2)");
    }
  } else {
    if (type != EVP_PKEY_ED25519) {
      return fail(std::string("ed25519-sha256 needs an Ed25519 key, this is ") +
                  (type == EVP_PKEY_RSA ? "an RSA key" : "another key type"));
    }
    // An Ed25519 private key has only the PKCS#8 form (RFC 8410 §7).
    if (pem.find("-----BEGIN PRIVATE KEY-----") == std::string::npos) {
      return fail("Ed25519 key must be PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)");
    }
  }
  auto pub = public_b64(pkey.get(), algorithm);
  if (!pub) return fail(pub.error());

  SigningKey key;
  key.domain_ = domain;
  key.selector_ = selector;
  key.algorithm_ = algorithm;
  key.bits_ = bits;
  key.private_key_ = auth::PrivateKey(pkey.release());
  key.public_b64_ = std::move(*pub);
  return key;
}

core::Expected<SigningKey, std::string> load_signing_key(const config::DkimKeyConfig& cfg) {
  std::string origin = cfg.private_key;
  if (cfg.line > 0) origin += " (configured at line " + std::to_string(cfg.line) + ")";
  const auto algorithm = parse_algorithm(cfg.algorithm);
  if (!algorithm) {
    return core::unexpected(origin + ": unknown DKIM algorithm \"" + cfg.algorithm +
                            "\" (expected rsa-sha256 or ed25519-sha256)");
  }
  if (cfg.domain.empty() || cfg.selector.empty()) {
    return core::unexpected(origin + ": DKIM key needs a domain and a selector");
  }
  std::ifstream in(cfg.private_key, std::ios::binary);
  if (!in) return core::unexpected(origin + ": cannot open DKIM private key file");
  std::string pem;
  pem.resize(static_cast<size_t>(kMaxKeyFileBytes) + 1);
  in.read(pem.data(), kMaxKeyFileBytes + 1);
  if (in.bad()) return core::unexpected(origin + ": cannot read DKIM private key file");
  pem.resize(static_cast<size_t>(in.gcount()));
  if (pem.size() > static_cast<size_t>(kMaxKeyFileBytes)) {
    return core::unexpected(origin + ": DKIM private key file is larger than 64 KiB");
  }
  return parse_signing_key(std::move(pem), cfg.domain, cfg.selector, *algorithm, origin);
}

std::string public_key_record(const SigningKey& key) {
  return std::string("v=DKIM1; k=") +
         (key.algorithm_ == Algorithm::ed25519_sha256 ? "ed25519" : "rsa") +
         "; p=" + key.public_b64_;
}

core::Expected<KeyStore, std::vector<std::string>> KeyStore::load(
    const std::vector<config::DkimKeyConfig>& entries) {
  std::vector<SigningKey> keys;
  std::vector<std::string> errors;
  for (const auto& e : entries) {
    auto k = load_signing_key(e);
    if (k) {
      keys.push_back(std::move(*k));
    } else {
      errors.push_back(k.error());
    }
  }
  if (!errors.empty()) return core::unexpected(std::move(errors));
  return KeyStore(std::move(keys));
}

std::vector<const SigningKey*> KeyStore::for_domain(std::string_view domain) const {
  std::vector<const SigningKey*> out;
  for (const auto& k : keys_) {
    if (core::ascii_iequals(k.domain(), domain)) out.push_back(&k);
  }
  return out;
}

}  // namespace hikyaku::dkim
