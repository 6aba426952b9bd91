// RFC 6376 §3.7 body hash: SHA-256 over the canonical body (§3.4.3 simple, §3.4.4 relaxed),
// fed in pieces, with the digest fetched once (auth/arc_crypto).
#include "auth/body_hash.hpp"

#include <openssl/evp.h>

#include <memory>

#include "auth/arc_crypto.hpp"

namespace hikyaku::auth {

std::string BodyHash::base64() const { return base64_encode(digest); }

BodyHash body_hash(Canon c, std::string_view body) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), sha256_md(), nullptr) != 1) {
    return BodyHash{c, sha256(canon_body(c, body))};  // the same value, built whole
  }
  // Pieces are often a line or a CRLF: gathered into blocks before they reach the digest.
  std::string block;
  block.reserve(16 * 1024);
  canon_body_pieces(c, body, [&](std::string_view p) {
    if (block.size() + p.size() > block.capacity()) {
      EVP_DigestUpdate(ctx.get(), block.data(), block.size());
      block.clear();
      if (p.size() > block.capacity()) {
        EVP_DigestUpdate(ctx.get(), p.data(), p.size());
        return;
      }
    }
    block.append(p);
  });
  EVP_DigestUpdate(ctx.get(), block.data(), block.size());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return BodyHash{c, std::string(reinterpret_cast<char*>(md), len)};
}

}  // namespace hikyaku::auth
