// RFC 6376 §3.6.1 key records (v=, k=, h=, s=, p=; empty p= is a revoked key), RFC 8301 §3.2
// (RSA keys under 1024 bits are refused), RFC 8463 §3 (Ed25519 signs the SHA-256 of the data).
// p= may be SubjectPublicKeyInfo (the RFC's form) or a bare PKCS#1 RSAPublicKey.
#include "auth/arc_crypto.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "auth/tag_list.hpp"

namespace hikyaku::auth {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool list_has(std::string_view colon_list, std::string_view item) {
  const std::string s = strip_fws(colon_list);
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(':', pos);
    if (end == std::string::npos) end = s.size();
    if (std::string_view(s).substr(pos, end - pos) == item) return true;
    pos = end + 1;
  }
  return false;
}

Pkey load_key(SigAlgorithm alg, const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const long len = static_cast<long>(der.size());
  if (alg == SigAlgorithm::ed25519_sha256) {
    if (der.size() != 32) return nullptr;
    return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, der.size()));
  }
  const unsigned char* q = p;
  Pkey k(d2i_PUBKEY(nullptr, &q, len));
  if (k && q != p + len) k.reset();  // trailing garbage
  if (!k) {
    q = p;
    k.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &q, len));  // PKCS#1 RSAPublicKey
    if (k && q != p + len) k.reset();
  }
  if (k && EVP_PKEY_get_base_id(k.get()) != EVP_PKEY_RSA) k.reset();
  return k;
}

}  // namespace

std::optional<SigAlgorithm> parse_sig_algorithm(std::string_view a) {
  if (a == "rsa-sha256") return SigAlgorithm::rsa_sha256;
  if (a == "ed25519-sha256") return SigAlgorithm::ed25519_sha256;
  return std::nullopt;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  size_t chars = 0;
  int pad = 0;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      if (++pad > 2) return std::nullopt;
      ++chars;
      continue;
    }
    const int v = b64_value(c);
    if (v < 0 || pad > 0) return std::nullopt;
    ++chars;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (chars % 4 != 0) return std::nullopt;
  return out;
}

const EVP_MD* sha256_md() {
  // Fetched once: EVP_sha256() would look the implementation up in the provider store on every
  // use. Freed at exit, before OpenSSL's own clean-up (registered earlier, so run later).
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
      EVP_MD_fetch(nullptr, "SHA256", nullptr), EVP_MD_free);
  return md.get();
}

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, sha256_md(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

core::Expected<bool, std::string> verify_with_key_record(SigAlgorithm alg,
                                                         std::string_view key_record,
                                                         std::string_view data,
                                                         std::string_view signature) {
  struct ClearErrors {  // failed decodes/verifies leave entries on OpenSSL's thread error queue
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  auto tags = parse_tag_list(key_record);
  if (!tags) return core::unexpected(std::string("key record: ") + to_string(tags.error()));
  if (const auto* v = tags->find("v"); v && (*v != "DKIM1" || tags->tags.front().name != "v")) {
    return core::unexpected(std::string("key record: bad v="));
  }
  const std::string* k = tags->find("k");
  const std::string want = alg == SigAlgorithm::rsa_sha256 ? "rsa" : "ed25519";
  if ((k ? *k : std::string("rsa")) != want) {
    return core::unexpected(std::string("key type does not match a="));
  }
  if (const auto* h = tags->find("h"); h && !list_has(*h, "sha256")) {
    return core::unexpected(std::string("key record h= excludes sha256"));
  }
  if (const auto* s = tags->find("s"); s && !list_has(*s, "*") && !list_has(*s, "email")) {
    return core::unexpected(std::string("key record s= excludes email"));
  }
  const std::string* p = tags->find("p");
  if (p == nullptr) return core::unexpected(std::string("key record without p="));
  if (strip_fws(*p).empty()) return core::unexpected(std::string("key revoked"));
  const auto der = base64_decode(*p);
  if (!der) return core::unexpected(std::string("key p= is not base64"));
  Pkey key = load_key(alg, *der);
  if (!key) return core::unexpected(std::string("key p= does not parse"));
  if (alg == SigAlgorithm::rsa_sha256 && EVP_PKEY_get_bits(key.get()) < 1024) {
    return core::unexpected(std::string("RSA key under 1024 bits"));
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return core::unexpected(std::string("out of memory"));
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  int rc = 0;
  if (alg == SigAlgorithm::rsa_sha256) {
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, sha256_md(), nullptr, key.get()) != 1) {
      return core::unexpected(std::string("verify init failed"));
    }
    rc = EVP_DigestVerify(ctx.get(), sig, signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size());
  } else {
    const std::string digest = sha256(data);
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
      return core::unexpected(std::string("verify init failed"));
    }
    rc = EVP_DigestVerify(ctx.get(), sig, signature.size(),
                          reinterpret_cast<const unsigned char*>(digest.data()), digest.size());
  }
  if (rc != 1) return core::unexpected(std::string("signature mismatch"));
  return true;
}

std::string base64_encode(std::string_view bin) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bin.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bin.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bin[i]) << 16) |
                       (static_cast<unsigned char>(bin[i + 1]) << 8) |
                       static_cast<unsigned char>(bin[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < bin.size()) {
    unsigned v = static_cast<unsigned char>(bin[i]) << 16;
    if (i + 1 < bin.size()) v |= static_cast<unsigned char>(bin[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bin.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

PrivateKey::PrivateKey(EVP_PKEY* pkey) : pkey_(pkey, EVP_PKEY_free) {}

core::Expected<PrivateKey, std::string> PrivateKey::from_pem(std::string_view pem) {
  struct ClearErrors {
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return core::unexpected(std::string("out of memory"));
  // Encrypted keys are refused: there is no one to type a passphrase.
  auto no_passphrase = [](char*, int, int, void*) { return -1; };
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (pkey == nullptr) return core::unexpected(std::string("private key does not parse"));
  return PrivateKey(pkey);
}

std::optional<SigAlgorithm> PrivateKey::algorithm() const {
  if (!pkey_) return std::nullopt;
  switch (EVP_PKEY_get_base_id(pkey_.get())) {
    case EVP_PKEY_RSA: return SigAlgorithm::rsa_sha256;
    case EVP_PKEY_ED25519: return SigAlgorithm::ed25519_sha256;
    default: return std::nullopt;
  }
}

core::Expected<std::string, std::string> sign_with_private_key(SigAlgorithm alg,
                                                               const PrivateKey& key,
                                                               std::string_view data) {
  struct ClearErrors {
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  if (!key) return core::unexpected(std::string("no private key"));
  if (key.algorithm() != alg) {
    return core::unexpected(std::string("private key type does not match a="));
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return core::unexpected(std::string("out of memory"));
  const std::string digest = alg == SigAlgorithm::ed25519_sha256 ? sha256(data) : std::string();
  const std::string_view input = alg == SigAlgorithm::ed25519_sha256 ? digest : data;
  const EVP_MD* md = alg == SigAlgorithm::rsa_sha256 ? sha256_md() : nullptr;
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1) {
    return core::unexpected(std::string("sign init failed"));
  }
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) {
    return core::unexpected(std::string("sign failed"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1) {
    return core::unexpected(std::string("sign failed"));
  }
  sig.resize(len);
  return sig;
}

}  // namespace hikyaku::auth
