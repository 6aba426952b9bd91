// Reply addresses for a rewritten From: encode the author into FR=HHHHHHHH=TT=host=user, decode
// and verify (HMAC-SHA256, RFC 2104 via OpenSSL; base32, RFC 4648 §6; SRS day stamps from
// srs/hash), RFC 5321 §4.5.3.1.1 length limits on everything produced.
#include "srs/reply_address.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <optional>

#include "core/ascii.hpp"
#include "srs/hash.hpp"

namespace hikyaku::srs {

namespace {

using core::Address;
using core::Expected;
using core::unexpected;

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// Kept apart from every other MAC made with the same secrets (the SRS hash is over the bare
// concatenated fields): the label and NUL separators make the inputs of the two disjoint.
constexpr std::string_view kLabel = "hikyaku from-rewrite reply v1";

// The first kReplyHashLength base32 characters of HMAC-SHA256(secret, label NUL tt NUL host NUL
// user), fields lowercased.
std::string reply_hash(std::string_view secret, std::string_view tt, std::string_view host,
                       std::string_view user) {
  std::string message(kLabel);
  for (const std::string_view f : {tt, host, user}) {
    message += '\0';
    for (const char c : f) message += core::ascii_lower(c);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  static const unsigned char empty_key = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&empty_key) : secret.data();
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &mac_len) == nullptr ||
      mac_len < 5) {
    return {};
  }
  // 8 characters of 5 bits: the first 40 bits of the MAC, big-endian.
  std::uint64_t v = 0;
  for (size_t i = 0; i < 5; ++i) v = (v << 8) | mac[i];
  std::string out(kReplyHashLength, '\0');
  for (size_t i = 0; i < kReplyHashLength; ++i) out[i] = kBase32[(v >> (35 - 5 * i)) & 31];
  return out;
}

// Compares all 8 characters without case and without an early exit.
bool hash_equal(std::string_view given, std::string_view expected) {
  if (given.size() != kReplyHashLength || expected.size() != kReplyHashLength) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < kReplyHashLength; ++i) {
    diff |= static_cast<unsigned char>(core::ascii_lower(given[i]) ^ core::ascii_lower(expected[i]));
  }
  return diff == 0;
}

std::optional<std::string_view> take_field(std::string_view& rest) {
  const size_t pos = rest.find('=');
  if (pos == std::string_view::npos) return std::nullopt;
  const std::string_view field = rest.substr(0, pos);
  rest.remove_prefix(pos + 1);
  return field;
}

// A local part that goes into ours as it is: printable ASCII that needs no quoting.
bool plain_local_part(const Address& a) {
  if (a.local.empty() || a.utf8_local) return false;
  const std::string shown = a.str();
  return !shown.empty() && shown.front() != '"';
}

}  // namespace

std::string_view describe(ReplyError e) {
  switch (e) {
    case ReplyError::not_reply: return "not a reply address";
    case ReplyError::bad_syntax: return "malformed reply address";
    case ReplyError::bad_hash: return "invalid reply address hash";
    case ReplyError::expired: return "reply address expired";
    case ReplyError::too_long: return "address too long";
    case ReplyError::unencodable: return "address cannot be encoded";
    case ReplyError::no_key: return "no reply address secret configured";
  }
  return "reply address error";
}

bool is_reply_address(std::string_view local_part) {
  return local_part.size() > kReplyTag.size() && core::ascii_istarts_with(local_part, kReplyTag) &&
         local_part[kReplyTag.size()] == '=';
}

Expected<Address, ReplyError> make_reply_address(const Address& author, const std::vector<std::string>& secrets,
                                                 std::string_view domain, std::chrono::sys_days today) {
  if (secrets.empty()) return unexpected(ReplyError::no_key);
  if (author.domain.empty() || !plain_local_part(author)) return unexpected(ReplyError::unencodable);
  // An address literal ("[192.0.2.1]") has no place in a dot-atom local part.
  if (author.domain.front() == '[') return unexpected(ReplyError::unencodable);
  if (kReplyOverhead + author.domain.size() + author.local.size() > kMaxLocalPart) {
    return unexpected(ReplyError::too_long);
  }
  const std::string tt = detail::encode_timestamp(today);
  const std::string hash = reply_hash(secrets.front(), tt, author.domain, author.local);
  if (hash.empty()) return unexpected(ReplyError::no_key);
  Address out;
  out.local = std::string(kReplyTag) + "=" + hash + "=" + tt + "=" + author.domain + "=" + author.local;
  out.domain = std::string(domain);
  // Proof that it is a mailbox we may write: it parses back to itself.
  auto parsed = core::parse_mailbox(out.str(), /*allow_utf8=*/false);
  if (!parsed || parsed->local != out.local) return unexpected(ReplyError::unencodable);
  return std::move(*parsed);
}

Expected<Address, ReplyError> decode_reply_address(const Address& reply, const std::vector<std::string>& secrets,
                                                   std::chrono::sys_days today, int max_age_days) {
  if (!is_reply_address(reply.local)) return unexpected(ReplyError::not_reply);
  if (secrets.empty()) return unexpected(ReplyError::no_key);
  if (reply.local.size() > kMaxLocalPart) return unexpected(ReplyError::bad_syntax);
  std::string_view rest = std::string_view(reply.local).substr(kReplyTag.size() + 1);
  const auto hash = take_field(rest);
  const auto tt = take_field(rest);
  const auto host = take_field(rest);
  if (!hash || !tt || !host || hash->size() != kReplyHashLength || host->empty() || rest.empty()) {
    return unexpected(ReplyError::bad_syntax);
  }
  const std::string_view user = rest;
  const auto slot = detail::decode_timestamp(*tt);
  if (!slot) return unexpected(ReplyError::bad_syntax);
  bool ok = false;
  for (const auto& secret : secrets) ok = hash_equal(*hash, reply_hash(secret, *tt, *host, user)) || ok;
  if (!ok) return unexpected(ReplyError::bad_hash);
  // Past max age, or a stamp from the future (which wraps to an age near 1024 days).
  if (detail::age_days(*slot, today) > max_age_days) return unexpected(ReplyError::expired);
  Address candidate;
  candidate.local = std::string(user);
  candidate.domain = core::ascii_lower(*host);
  auto parsed = core::parse_mailbox(candidate.str(), /*allow_utf8=*/false);
  if (!parsed || parsed->local != candidate.local) return unexpected(ReplyError::bad_syntax);
  return std::move(*parsed);
}

}  // namespace hikyaku::srs
