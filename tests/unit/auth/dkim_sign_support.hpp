// Test support for the DKIM verifier: keys made with OpenSSL, their key records (RFC 6376
// §3.6.1, RFC 8463 §4), and a signer straight over libopendkim that can make what our own
// dkim::Signer never does (simple canonicalization, rsa-sha1, 512-bit keys, x=).
#pragma once
#include <stdbool.h>  // pitfall K1
#include <dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace hikyaku::auth::testing {

inline std::string b64(const std::string& bin) {
  std::string out(4 * ((bin.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bin.data()),
                                static_cast<int>(bin.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

struct TestKey {
  std::string pem;     // PKCS#8 private key, as dkim_sign() takes it
  std::string record;  // "v=DKIM1; k=...; p=..."
  std::string record_pkcs1;  // RSA: p= as a PKCS#1 RSAPublicKey (RFC 6376 §3.6.1's wording)
  bool ed25519 = false;
};

// "RSA" with bits, or "ED25519".
inline TestKey make_key(const char* type, size_t rsa_bits = 0) {
  EVP_PKEY* pkey = rsa_bits != 0 ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, rsa_bits)
                                 : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  if (pkey == nullptr) throw std::runtime_error("key generation failed");
  TestKey key;
  key.ed25519 = rsa_bits == 0;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  key.pem.assign(data, static_cast<size_t>(n));
  BIO_free(bio);
  if (key.ed25519) {
    std::string raw(32, '\0');
    size_t len = raw.size();
    EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(raw.data()), &len);
    key.record = "v=DKIM1; k=ed25519; p=" + b64(raw);
  } else {
    unsigned char* der = nullptr;
    const int m = i2d_PUBKEY(pkey, &der);
    key.record = "v=DKIM1; k=rsa; p=" + b64(std::string(reinterpret_cast<char*>(der),
                                                         static_cast<size_t>(m)));
    OPENSSL_free(der);
    der = nullptr;
    const int k = i2d_PublicKey(pkey, &der);
    key.record_pkcs1 = "v=DKIM1; k=rsa; p=" + b64(std::string(reinterpret_cast<char*>(der),
                                                               static_cast<size_t>(k)));
    OPENSSL_free(der);
  }
  EVP_PKEY_free(pkey);
  return key;
}

// Key generation is slow under the sanitizers: one of each per process.
inline const TestKey& rsa2048() {
  static const TestKey k = make_key("RSA", 2048);
  return k;
}
inline const TestKey& rsa512() {
  static const TestKey k = make_key("RSA", 512);
  return k;
}
inline const TestKey& ed25519() {
  static const TestKey k = make_key("ED25519");
  return k;
}

struct SignSpec {
  std::string domain = "example.com";
  std::string selector = "sel";
  dkim_canon_t header_canon = DKIM_CANON_RELAXED;
  dkim_canon_t body_canon = DKIM_CANON_RELAXED;
  dkim_alg_t alg = DKIM_SIGN_RSASHA256;
  uint64_t time = 1'700'000'000;  // t=
  uint64_t ttl = 0;               // x= = t= + ttl when not 0
  bool unfolded = true;           // one line (see sign())
};

// "DKIM-Signature: ...\r\n" over `raw` (a CRLF message), all header fields signed.
inline std::string sign(const std::string& raw, const TestKey& key, const SignSpec& spec) {
  std::unique_ptr<DKIM_LIB, decltype(&dkim_close)> lib(dkim_init(nullptr, nullptr), dkim_close);
  if (!lib) throw std::runtime_error("dkim_init");
  uint64_t t = spec.time;
  dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof t);
  uint64_t ttl = spec.ttl;
  dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl, sizeof ttl);
  unsigned bits = 512;
  dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits, sizeof bits);
  DKIM_STAT st = DKIM_STAT_OK;
  std::unique_ptr<DKIM, decltype(&dkim_free)> d(
      dkim_sign(lib.get(), reinterpret_cast<const u_char*>("test"), nullptr,
                reinterpret_cast<u_char*>(const_cast<char*>(key.pem.c_str())),
                reinterpret_cast<const u_char*>(spec.selector.c_str()),
                reinterpret_cast<const u_char*>(spec.domain.c_str()), spec.header_canon,
                spec.body_canon, spec.alg, -1, &st),
      dkim_free);
  if (!d) throw std::runtime_error("dkim_sign failed");
  // Unfolded: libopendkim folds the field it hashes (b= empty) and the one it returns (b= set)
  // at different places, which breaks c=simple/... header canonicalization.
  if (spec.unfolded) dkim_set_margin(d.get(), 0);
  const size_t body_at = raw.find("\r\n\r\n");
  const std::string header = raw.substr(0, body_at + 2);
  const std::string body = raw.substr(body_at + 4);
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find("\r\n", start);
    while (end + 2 < header.size() && (header[end + 2] == ' ' || header[end + 2] == '\t')) {
      end = header.find("\r\n", end + 2);
    }
    const std::string field = header.substr(start, end - start);
    if (dkim_header(d.get(), reinterpret_cast<u_char*>(const_cast<char*>(field.data())),
                    field.size()) != DKIM_STAT_OK) {
      throw std::runtime_error("dkim_header");
    }
    start = end + 2;
  }
  if (dkim_eoh(d.get()) != DKIM_STAT_OK) throw std::runtime_error("dkim_eoh");
  if (!body.empty()) {
    dkim_body(d.get(), reinterpret_cast<u_char*>(const_cast<char*>(body.data())), body.size());
  }
  if (dkim_eom(d.get(), nullptr) != DKIM_STAT_OK) {
    throw std::runtime_error(std::string("dkim_eom: ") + dkim_geterror(d.get()));
  }
  u_char* value = nullptr;
  size_t len = 0;
  if (dkim_getsighdr_d(d.get(), 16, &value, &len) != DKIM_STAT_OK) {
    throw std::runtime_error("dkim_getsighdr_d");
  }
  std::string v(reinterpret_cast<char*>(value), len);
  std::string field = "DKIM-Signature: ";
  for (size_t i = 0; i < v.size(); ++i) {  // fold with CRLF whatever the library used
    if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r')) field += '\r';
    field += v[i];
  }
  return field + "\r\n";
}

}  // namespace hikyaku::auth::testing
