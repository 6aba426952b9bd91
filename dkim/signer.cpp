// DKIM signing with libopendkim 2.11 (RFC 6376 §5 signer actions, §3.4.2 relaxed
// canonicalization, §5.4.1-5.4.2 header choice and over-signing; RFC 8463 and RFC 8301 keys).
// Header fields are fed one by one without their final CRLF (deps.md §3, pitfall K1 below).
#include "dkim/signer.hpp"

#include <stdbool.h>  // K1: <dkim.h> uses _Bool and includes this only under HAVE_STDBOOL_H
#include <dkim.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace hikyaku::dkim {
namespace {

// RFC 6376 §5.4.1 "SHOULD be included" list; libopendkim matches names case-insensitively.
const char* const kSignedHeaders[] = {
    "From", "Reply-To", "Subject", "Date", "To", "Cc",
    "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Message-ID",
    "In-Reply-To", "References",
    "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe",
    "List-Post", "List-Owner", "List-Archive",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Message-ID",
    nullptr};

// libopendkim keeps this pointer (it does not copy the list): static storage.
const char* const kOversignedHeaders[] = {"From", "To", "Subject", "Date", "Message-ID", nullptr};

std::string status_text(DKIM_STAT st) {
  const char* s = dkim_getresultstr(st);
  return s != nullptr ? s : ("status " + std::to_string(st));
}

DkimError error_from(DKIM* d, const char* step, DKIM_STAT st) {
  std::string detail = std::string(step) + ": " + status_text(st);
  if (d != nullptr) {
    const char* e = dkim_geterror(d);
    if (e != nullptr && *e != '\0') detail += " (" + std::string(e) + ")";
  }
  return DkimError{std::move(detail)};
}

void set_option(DKIM_LIB* lib, dkim_opts_t opt, void* value, size_t len, const char* what) {
  if (dkim_options(lib, DKIM_OP_SETOPT, opt, value, len) != DKIM_STAT_OK) {
    throw std::runtime_error(std::string("libopendkim: cannot set ") + what);
  }
}

struct HandleFree {
  void operator()(DKIM* d) const { dkim_free(d); }
};
using Handle = std::unique_ptr<DKIM, HandleFree>;

u_char* bytes(std::string_view s) {  // the C API takes u_char* but does not write through it
  return reinterpret_cast<u_char*>(const_cast<char*>(s.data()));
}

// libopendkim folds with CRLF + TAB; make sure no bare LF survives whatever the version does.
std::string with_crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

}  // namespace

const std::vector<const char*>& signed_header_names() {
  static const std::vector<const char*> names(std::begin(kSignedHeaders),
                                              std::end(kSignedHeaders) - 1);
  return names;
}

const std::vector<const char*>& oversigned_header_names() {
  static const std::vector<const char*> names(std::begin(kOversignedHeaders),
                                              std::end(kOversignedHeaders) - 1);
  return names;
}

void Signer::LibClose::operator()(dkim_lib* lib) const { dkim_close(lib); }

Signer::Signer() {
  lib_.reset(dkim_init(nullptr, nullptr));
  if (!lib_) throw std::runtime_error("libopendkim: dkim_init failed");
  // All options are set here, before the lib is shared (dkim_options does not lock).
  set_option(lib_.get(), DKIM_OPTS_SIGNHDRS, const_cast<const char**>(kSignedHeaders),
             sizeof(char**), "signed header list");
  set_option(lib_.get(), DKIM_OPTS_OVERSIGNHDRS, const_cast<const char**>(kOversignedHeaders),
             sizeof(char**), "over-signed header list");
}

Signer::~Signer() = default;

core::Expected<std::string, DkimError> Signer::sign(const core::Message& msg,
                                                    const SigningKey& key,
                                                    std::chrono::sys_seconds now) const {
  const auto secs = now.time_since_epoch().count();
  if (secs <= 0) return core::unexpected(DkimError{"signing time must be after 1970"});
  const dkim_alg_t alg = key.algorithm() == Algorithm::ed25519_sha256 ? DKIM_SIGN_ED25519SHA256
                                                                      : DKIM_SIGN_RSASHA256;
  DKIM_STAT st = DKIM_STAT_OK;
  Handle d;
  {
    // t= comes from the lib-wide FIXEDTIME, read when dkim_eoh() starts the signature; keep the
    // write and the header phase together so concurrent signers each get their own `now`.
    std::lock_guard lock(time_mutex_);
    uint64_t fixed = static_cast<uint64_t>(secs);
    if (dkim_options(lib_.get(), DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed, sizeof fixed) !=
        DKIM_STAT_OK) {
      return core::unexpected(DkimError{"cannot set the signing time"});
    }
    d.reset(dkim_sign(lib_.get(), reinterpret_cast<const u_char*>("hikyaku"), nullptr,
                      bytes(key.pem()), reinterpret_cast<const u_char*>(key.selector().c_str()),
                      reinterpret_cast<const u_char*>(key.domain().c_str()),
                      DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, alg, -1, &st));
    if (!d) return core::unexpected(error_from(nullptr, "dkim_sign", st));
    for (const auto& f : msg.fields()) {
      const std::string_view text = msg.field_text(f);
      if (text.empty()) continue;  // len 0 aborts inside the library (assert)
      st = dkim_header(d.get(), bytes(text), text.size());
      if (st != DKIM_STAT_OK) return core::unexpected(error_from(d.get(), "dkim_header", st));
    }
    st = dkim_eoh(d.get());
    if (st != DKIM_STAT_OK) return core::unexpected(error_from(d.get(), "dkim_eoh", st));
  }
  const std::string_view body = msg.body();
  if (!body.empty()) {
    st = dkim_body(d.get(), bytes(body), body.size());
    if (st != DKIM_STAT_OK) return core::unexpected(error_from(d.get(), "dkim_body", st));
  }
  st = dkim_eom(d.get(), nullptr);
  if (st != DKIM_STAT_OK) return core::unexpected(error_from(d.get(), "dkim_eom", st));

  static constexpr std::string_view kName = "DKIM-Signature: ";
  u_char* value = nullptr;
  size_t len = 0;
  st = dkim_getsighdr_d(d.get(), kName.size(), &value, &len);
  if (st != DKIM_STAT_OK || value == nullptr) {
    return core::unexpected(error_from(d.get(), "dkim_getsighdr_d", st));
  }
  std::string field(kName);
  field += with_crlf(std::string_view(reinterpret_cast<const char*>(value), len));
  field += "\r\n";
  return field;
}

core::Expected<std::vector<std::string>, DkimError> Signer::sign_all(
    const core::Message& msg, const std::vector<const SigningKey*>& keys,
    std::chrono::sys_seconds now) const {
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const SigningKey* key : keys) {
    auto field = sign(msg, *key, now);
    if (!field) {
      return core::unexpected(DkimError{key->selector() + "._domainkey." + key->domain() + ": " +
                                        field.error().detail});
    }
    out.push_back(std::move(*field));
  }
  return out;
}

}  // namespace hikyaku::dkim
