// SRS timestamp and hash primitives (Shevek's SRS as libsrs2 1.0.14 / PostSRSd 2.x implement
// them): base32 day stamp mod 1024, HMAC-SHA1 (RFC 2104, OpenSSL) cut to 4..10 characters of
// base64url (RFC 4648 §5): 24 bits as libsrs2 by default, more when configured. See /work/shared/conformance/srs/README.md for the reference description.
#include "srs/hash.hpp"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/ascii.hpp"

namespace hikyaku::srs::detail {

namespace {

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// Emitted alphabet: base64url, as PostSRSd >= 2.0 (the conformance vectors) does. '+' and '/'
// of standard base64 are legal atext, but '+' is the usual subaddress delimiter (RFC 5233)
// and '/' is special to some MTAs and gateways; '-' and '_' survive every hop unchanged.
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int day_slot(std::chrono::sys_days day) {
  const long long d = day.time_since_epoch().count();
  return static_cast<int>(((d % kTimeSlots) + kTimeSlots) % kTimeSlots);
}

struct MacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// HMAC (RFC 2104) as fetched once from the default provider: HMAC() would fetch the MAC and
// SHA-1 from the provider store, under its locks, on every call.
EVP_MAC* hmac() {
  static const std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return mac.get();
}

// HMAC-SHA1 of `message` under `secret` into `out` (EVP_MAX_MD_SIZE bytes); its length, or 0 on
// failure. Each thread keeps a keyed context per secret (a few: the signing secret and those
// still accepted) and duplicates it for every MAC.
size_t hmac_sha1(std::string_view secret, std::string_view message, unsigned char* out) {
  constexpr size_t kMaxKeyedContexts = 8;
  thread_local std::vector<std::pair<std::string, MacCtx>> keyed;
  EVP_MAC_CTX* keyed_ctx = nullptr;
  for (const auto& [s, ctx] : keyed) {
    if (s == secret) keyed_ctx = ctx.get();
  }
  if (keyed_ctx == nullptr) {
    if (hmac() == nullptr) return 0;
    MacCtx ctx(EVP_MAC_CTX_new(hmac()));
    char digest[] = "SHA1";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_END};
    // A null key pointer is not allowed even for an empty secret: point at a byte then.
    static const unsigned char empty_key = 0;
    const auto* key = secret.empty() ? &empty_key : reinterpret_cast<const unsigned char*>(secret.data());
    if (!ctx || EVP_MAC_init(ctx.get(), key, secret.size(), params) != 1) return 0;
    if (keyed.size() >= kMaxKeyedContexts) keyed.clear();
    keyed.emplace_back(std::string(secret), std::move(ctx));
    keyed_ctx = keyed.back().second.get();
  }
  MacCtx ctx(EVP_MAC_CTX_dup(keyed_ctx));
  size_t len = 0;
  if (!ctx || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out, &len, EVP_MAX_MD_SIZE) != 1) {
    return 0;
  }
  return len;
}

char fold_alphabet(char c) {
  if (c == '+') return '-';
  if (c == '/') return '_';
  return c;
}

}  // namespace

std::string encode_timestamp(std::chrono::sys_days day) {
  const int d = day_slot(day);
  return {kBase32[static_cast<size_t>((d >> 5) & 31)], kBase32[static_cast<size_t>(d & 31)]};
}

std::optional<int> decode_timestamp(std::string_view ts) {
  if (ts.size() != 2) return std::nullopt;
  int then = 0;
  for (const char c : ts) {
    const char up = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    const size_t pos = kBase32.find(up);
    if (pos == std::string_view::npos) return std::nullopt;
    then = (then << 5) | static_cast<int>(pos);
  }
  return then;
}

int age_days(int then_slot, std::chrono::sys_days today) {
  return ((day_slot(today) - then_slot) % kTimeSlots + kTimeSlots) % kTimeSlots;
}

std::string make_hash(std::string_view secret, std::initializer_list<std::string_view> fields,
                      size_t length) {
  if (length < kHashLength || length > kMaxHashLength) return {};  // never matches
  std::string message;
  for (const auto f : fields) {
    for (const char c : f) message += core::ascii_lower(c);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  if (hmac_sha1(secret, message, mac.data()) < 8) {
    return {};  // never matches hash_matches (needs 4 characters)
  }
  // The first 8 MAC bytes, big-endian: base64 character i is bits 63-6i .. 58-6i (the first 3
  // bytes are exactly the first 4 characters, as libsrs2 computes them).
  std::uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | mac[i];
  std::string out(length, '\0');
  for (size_t i = 0; i < length; ++i) out[i] = kBase64Url[(v >> (58 - 6 * i)) & 63];
  return out;
}

bool hash_matches(std::string_view given, std::string_view expected, size_t length,
                  bool accept_legacy) {
  if (length < kHashLength || length > kMaxHashLength) return false;
  bool fold_case = length == kHashLength;
  if (length > kHashLength && given.size() < length) {
    if (!accept_legacy || given.size() != kHashLength) return false;
    length = kHashLength;  // written before the length was raised: read as it was then
    fold_case = true;
  }
  if (given.size() < length || expected.size() < length) return false;
  unsigned diff = 0;  // no early exit: the time taken does not tell how many characters matched
  for (size_t i = 0; i < length; ++i) {
    const char g = fold_alphabet(given[i]), e = fold_alphabet(expected[i]);
    diff |= static_cast<unsigned char>(fold_case ? core::ascii_lower(g) ^ core::ascii_lower(e) : g ^ e);
  }
  return diff == 0;
}

}  // namespace hikyaku::srs::detail
