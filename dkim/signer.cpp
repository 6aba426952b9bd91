// DKIM signing (RFC 6376 §5 signer actions): §3.4.2 / §3.4.4 relaxed canonicalization from
// auth/dkim_canon, §3.7 hash inputs, §5.4.1-5.4.2 header choice and over-signing, §3.5 tags,
// signatures with auth::sign_with_private_key (RFC 8301 rsa-sha256, RFC 8463 ed25519-sha256).
#include "dkim/signer.hpp"

#include <algorithm>
#include <iterator>

#include "auth/arc_crypto.hpp"
#include "auth/dkim_canon.hpp"
#include "core/ascii.hpp"

namespace hikyaku::dkim {
namespace {

// RFC 6376 §5.4.1 "SHOULD be included" list, matched case-insensitively.
const char* const kSignedHeaders[] = {
    "From", "Reply-To", "Subject", "Date", "To", "Cc",
    "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Message-ID",
    "In-Reply-To", "References",
    "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe",
    "List-Post", "List-Owner", "List-Archive",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Message-ID"};

const char* const kOversignedHeaders[] = {"From", "To", "Subject", "Date", "Message-ID"};

// Lines stay under 78 columns (RFC 5322 §2.1.1) with a tab counted as 8.
constexpr size_t kMaxColumns = 75;
constexpr size_t kTabColumns = 8;

// Builds the field: each piece goes on the current line if it fits, else on a new line
// (CRLF + TAB, RFC 5322 §2.2.3 folding; DKIM allows FWS around tags, h= colons and in b=).
class FoldedField {
 public:
  explicit FoldedField(std::string_view name) : text_(name), column_(name.size()) {
    text_.push_back(':');
    ++column_;
  }
  // A tag or a part of one; `space` puts a SP before it when it stays on the line.
  void add(std::string_view piece, bool space) {
    const size_t need = piece.size() + (space ? 1 : 0);
    if (column_ + need > kMaxColumns) {
      fold();
    } else if (space) {
      text_.push_back(' ');
      ++column_;
    }
    text_.append(piece);
    column_ += piece.size();
  }
  void fold() {
    text_.append("\r\n\t");
    column_ = kTabColumns;
  }
  size_t room() const { return column_ < kMaxColumns ? kMaxColumns - column_ : 0; }
  const std::string& text() const { return text_; }
  std::string& text() { return text_; }

 private:
  std::string text_;
  size_t column_ = 0;
};

}  // namespace

const std::vector<const char*>& signed_header_names() {
  static const std::vector<const char*> names(std::begin(kSignedHeaders), std::end(kSignedHeaders));
  return names;
}

const std::vector<const char*>& oversigned_header_names() {
  static const std::vector<const char*> names(std::begin(kOversignedHeaders),
                                              std::end(kOversignedHeaders));
  return names;
}

std::vector<std::string> header_names_to_sign(const core::Message& msg) {
  std::vector<std::string> names;
  for (const auto& f : msg.fields()) {
    const std::string_view name = msg.field_name(f);
    for (const char* wanted : kSignedHeaders) {
      if (core::ascii_iequals(name, wanted)) {
        names.emplace_back(name);
        break;
      }
    }
  }
  for (const char* extra : kOversignedHeaders) names.emplace_back(extra);
  return names;
}

core::Expected<std::string, DkimError> Signer::sign(const core::Message& msg,
                                                    const SigningKey& key,
                                                    std::chrono::sys_seconds now) const {
  return sign(msg, key, now, auth::body_hash(auth::Canon::relaxed, msg.body()));
}

core::Expected<std::string, DkimError> Signer::sign(const core::Message& msg,
                                                    const SigningKey& key,
                                                    std::chrono::sys_seconds now,
                                                    const auth::BodyHash& body_hash) const {
  const auto secs = now.time_since_epoch().count();
  if (secs <= 0) return core::unexpected(DkimError{"signing time must be after 1970"});
  if (body_hash.canon != auth::Canon::relaxed || body_hash.digest.empty()) {
    return core::unexpected(DkimError{"no relaxed body hash"});
  }
  const bool ed25519 = key.algorithm() == Algorithm::ed25519_sha256;
  const auto alg = ed25519 ? auth::SigAlgorithm::ed25519_sha256 : auth::SigAlgorithm::rsa_sha256;

  // RFC 6376 §3.5 tags, in the order libopendkim wrote them.
  FoldedField field("DKIM-Signature");
  field.add("v=1;", true);
  field.add("a=" + std::string(algorithm_name(key.algorithm())) + ";", true);
  field.add("c=relaxed/relaxed;", true);
  field.add("d=" + key.domain() + ";", true);
  field.add("s=" + key.selector() + ";", true);
  field.add("t=" + std::to_string(secs) + ";", true);
  field.add("bh=" + body_hash.base64() + ";", true);
  const std::vector<std::string> names = header_names_to_sign(msg);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string piece = (i == 0 ? "h=" : "") + names[i] + (i + 1 < names.size() ? ":" : ";");
    field.add(piece, i == 0);
  }
  field.fold();
  field.add("b=", false);

  // §3.7: the selected fields, then this field with b= empty and no final CRLF.
  auto sig = auth::sign_with_private_key(
      alg, key.private_key(),
      auth::signed_header_data(msg, auth::Canon::relaxed, names, field.text()));
  if (!sig) return core::unexpected(DkimError{"signing failed: " + sig.error()});
  const std::string b = auth::base64_encode(*sig);
  for (size_t pos = 0; pos < b.size();) {
    if (field.room() == 0) field.fold();
    const size_t n = std::min(field.room(), b.size() - pos);
    field.add(std::string_view(b).substr(pos, n), false);
    pos += n;
  }
  std::string out = std::move(field.text());
  out.append("\r\n");
  return out;
}

core::Expected<std::vector<std::string>, DkimError> Signer::sign_all(
    const core::Message& msg, const std::vector<const SigningKey*>& keys,
    std::chrono::sys_seconds now, const auth::BodyHash* body_hash) const {
  std::vector<std::string> out;
  if (keys.empty()) return out;
  out.reserve(keys.size());
  const auth::BodyHash computed =
      body_hash != nullptr ? auth::BodyHash{} : auth::body_hash(auth::Canon::relaxed, msg.body());
  const auth::BodyHash& bh = body_hash != nullptr ? *body_hash : computed;
  for (const SigningKey* key : keys) {
    auto field = sign(msg, *key, now, bh);
    if (!field) {
      return core::unexpected(DkimError{key->selector() + "._domainkey." + key->domain() + ": " +
                                        field.error().detail});
    }
    out.push_back(std::move(*field));
  }
  return out;
}

}  // namespace hikyaku::dkim
