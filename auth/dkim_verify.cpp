// DKIM verification with libopendkim 2.11 (RFC 6376 §6.1 verifier steps, §3.7 hashes, §3.4
// canonicalization; RFC 8463; RFC 8301 §3.1-3.2). Keys come from the prefetched records through
// dkim_set_key_lookup with DKIM_LIBFLAGS_DELAYSIGPROC (deps.md §3 A4); x= and t= are judged
// here against the caller's time, because libopendkim reads time() for them (see below).
#include "auth/dkim_verify.hpp"

#include <stdbool.h>  // K1: <dkim.h> uses _Bool and includes this only under HAVE_STDBOOL_H
#include <dkim.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "auth/arc_crypto.hpp"
#include "auth/tag_list.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {
namespace {

// libopendkim checks x= (now >= x + drift) and t= (now < t - drift) against time(), not against
// DKIM_OPTS_FIXEDTIME (which only sets the signer's t=). A drift of 10^9 s (31 years) switches
// those checks off for any real signature; verify() checks both against `now_unix` instead.
// Side effect: a t= below 10^9 (before 2001-09-09) underflows t - drift in the library and is
// reported "in the future" (permerror) - no DKIM signature can honestly carry such a time.
constexpr uint64_t kLibraryDrift = 1'000'000'000;

// RFC 8301 §3.2: verifiers MUST NOT accept RSA keys under 1024 bits.
constexpr unsigned kMinRsaBits = 1024;

struct HandleFree {
  void operator()(DKIM* d) const { dkim_free(d); }
};
using Handle = std::unique_ptr<DKIM, HandleFree>;

u_char* bytes(std::string_view s) {  // the C API takes u_char* but does not write through it
  return reinterpret_cast<u_char*>(const_cast<char*>(s.data()));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = core::ascii_lower(c);
  return out;
}

std::string status_text(DKIM_STAT st) {
  const char* s = dkim_getresultstr(st);
  return s != nullptr ? s : ("status " + std::to_string(st));
}

// What the key lookup callback sees of one message (dkim_set_user_context).
struct MessageContext {
  const DkimKeyRecords* keys = nullptr;
  std::set<std::string> too_long;  // key names whose record did not fit the library's buffer
};

// The record to use when a name has several TXT records (RFC 6376 §3.6.2.2 lets the verifier
// pick): the first that is a tag list with p=, else the first.
const std::string& pick_record(const std::vector<std::string>& texts) {
  for (const auto& t : texts) {
    auto tags = parse_tag_list(t);
    if (tags && tags->find("p") != nullptr) return t;
  }
  return texts.front();
}

// Whether DER bytes open as a PKCS#1 RSAPublicKey (SEQUENCE whose first element is an INTEGER,
// RFC 8017 §A.1.1) rather than a SubjectPublicKeyInfo (SEQUENCE whose first element is the
// AlgorithmIdentifier SEQUENCE, RFC 5280 §4.1). A look at two tags, not a decode: OpenSSL 3's
// decoder set-up per key costs more than the rest of a verification (issue 13).
bool is_pkcs1_shaped(std::string_view der) {
  if (der.size() < 2 || static_cast<unsigned char>(der[0]) != 0x30) return false;
  const auto first_len = static_cast<unsigned char>(der[1]);
  size_t at = 2;
  if (first_len & 0x80) at += first_len & 0x7f;  // long form: that many length octets follow
  return at < der.size() && static_cast<unsigned char>(der[at]) == 0x02;
}

// RFC 6376 §3.6.1 defines an RSA p= as an RSAPublicKey; nearly every publisher uses a
// SubjectPublicKeyInfo, and libopendkim reads only that. A record whose p= is a PKCS#1
// RSAPublicKey is handed over with p= rewritten as the equivalent SubjectPublicKeyInfo.
std::string with_spki_key(const std::string& record) {
  auto tags = parse_tag_list(record);
  if (!tags) return record;
  const std::string* k = tags->find("k");
  const std::string* p = tags->find("p");
  if (p == nullptr || p->empty() || (k != nullptr && *k != "rsa")) return record;
  const auto der = base64_decode(*p);
  if (!der || !is_pkcs1_shaped(*der)) return record;  // a SubjectPublicKeyInfo, or not a key
  const auto* in = reinterpret_cast<const unsigned char*>(der->data());
  EVP_PKEY* rsa = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &in, static_cast<long>(der->size()));
  if (rsa == nullptr) return record;
  unsigned char* out = nullptr;
  const int n = i2d_PUBKEY(rsa, &out);
  EVP_PKEY_free(rsa);
  if (n <= 0) return record;
  const std::string spki(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  std::string rebuilt;
  for (const auto& t : tags->tags) {
    if (!rebuilt.empty()) rebuilt += "; ";
    rebuilt += t.name + "=" + (t.name == "p" ? base64_encode(spki) : t.value);
  }
  return rebuilt;
}

DKIM_CBSTAT key_lookup(DKIM* d, DKIM_SIGINFO* sig, u_char* buf, size_t buflen) {
  auto* ctx = static_cast<MessageContext*>(dkim_get_user_context(d));
  const u_char* selector = dkim_sig_getselector(sig);
  const u_char* domain = dkim_sig_getdomain(sig);
  if (ctx == nullptr || selector == nullptr || domain == nullptr) return DKIM_CBSTAT_NOTFOUND;
  const std::string name = lower(reinterpret_cast<const char*>(selector)) + "._domainkey." +
                           lower(reinterpret_cast<const char*>(domain));
  const auto it = ctx->keys->find(name);
  if (it == ctx->keys->end() || it->second.status != DkimKeyRecord::Status::found ||
      it->second.texts.empty()) {
    return DKIM_CBSTAT_NOTFOUND;
  }
  const std::string text = with_spki_key(pick_record(it->second.texts));
  if (text.size() + 1 > buflen) {
    ctx->too_long.insert(name);
    return DKIM_CBSTAT_ERROR;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return DKIM_CBSTAT_CONTINUE;
}

// DNS hooks that refuse every query: keys only ever come through key_lookup, and the library
// must never reach the system resolver (DESIGN §3).
int dns_refuse_start(void*, int, unsigned char*, unsigned char*, size_t, void**) {
  return DKIM_DNS_ERROR;
}
int dns_refuse_wait(void*, void*, struct timeval*, size_t*, int*, int*) { return DKIM_DNS_ERROR; }
int dns_cancel(void*, void*) { return DKIM_DNS_SUCCESS; }
void dns_close(void*) {}

void set_option(DKIM_LIB* lib, dkim_opts_t opt, void* value, size_t len, const char* what) {
  if (dkim_options(lib, DKIM_OP_SETOPT, opt, value, len) != DKIM_STAT_OK) {
    throw std::runtime_error(std::string("libopendkim: cannot set ") + what);
  }
}

struct Decision {
  DkimResult result = DkimResult::none;
  std::string reason;
};

// libopendkim's per-signature error (RFC 6376 PERMFAIL reasons) as an RFC 8601 result.
Decision from_sig_error(int err, const MessageContext& ctx, const DkimSignatureRef& ref) {
  const char* text = dkim_sig_geterrorstr(err);
  std::string reason = text != nullptr ? text : "error " + std::to_string(err);
  switch (err) {
    case DKIM_SIGERROR_BADSIG:
      return {DkimResult::fail, "signature did not verify"};
    case DKIM_SIGERROR_KEYTOOSMALL:
      return {DkimResult::fail, "RSA key shorter than 1024 bits (RFC 8301)"};
    case DKIM_SIGERROR_KEYFAIL:
      if (ctx.too_long.count(ref.key_name) != 0) {
        return {DkimResult::permerror, "key record too long"};
      }
      return {DkimResult::temperror, "key record unavailable"};
    case DKIM_SIGERROR_NOKEY:
      return {DkimResult::permerror, "no key record"};
    case DKIM_SIGERROR_KEYREVOKED:
      return {DkimResult::permerror, "key revoked (empty p=)"};
    case DKIM_SIGERROR_FUTURE:
      return {DkimResult::permerror, "t= out of libopendkim's time range (before 2001)"};
    default:
      return {DkimResult::permerror, std::move(reason)};
  }
}

// 1*12DIGIT (RFC 6376 §3.5 t=, x=); a longer run of digits is taken as "very far away".
std::optional<int64_t> parse_time(std::string_view v) {
  if (v.empty()) return std::nullopt;
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    if (n < 100'000'000'000'000) n = n * 10 + (c - '0');
  }
  return n;
}

// What we decide without the library: RFC 8301 §3.1, the signature limit, our own syntax
// checks (dkim_key_fetch.cpp), x= and t= at `now`, and the key record's DNS outcome.
std::optional<Decision> decide_before_library(const core::Message& message,
                                              const DkimSignatureRef& ref,
                                              const DkimKeyRecords& keys, int64_t now) {
  if (ref.beyond_limit) return Decision{DkimResult::policy, ref.problem};
  if (ref.algorithm == "rsa-sha1") {
    return Decision{DkimResult::fail, "rsa-sha1 is not accepted (RFC 8301)"};
  }
  if (!ref.problem.empty()) return Decision{DkimResult::permerror, ref.problem};
  auto tags = parse_tag_list(message.field_value(message.fields()[ref.field_index]));
  if (!tags) return Decision{DkimResult::permerror, "tag list syntax"};
  std::optional<int64_t> t;
  if (const auto* tv = tags->find("t")) {
    t = parse_time(*tv);
    if (!t) return Decision{DkimResult::permerror, "t= syntax"};
    if (*t > now + kDkimClockDrift) return Decision{DkimResult::permerror, "t= in the future"};
  }
  if (const auto* xv = tags->find("x")) {
    const auto x = parse_time(*xv);
    if (!x) return Decision{DkimResult::permerror, "x= syntax"};
    if (t && *x < *t) return Decision{DkimResult::permerror, "x= before t="};
    if (now > *x) return Decision{DkimResult::permerror, "signature expired (x=)"};
  }
  const auto it = keys.find(ref.key_name);
  if (it == keys.end()) return Decision{DkimResult::temperror, "key record not fetched"};
  switch (it->second.status) {
    case DkimKeyRecord::Status::found:
      if (it->second.texts.empty()) return Decision{DkimResult::permerror, "no key record"};
      return std::nullopt;
    case DkimKeyRecord::Status::absent:
      return Decision{DkimResult::permerror, "no key record (" + it->second.detail + ")"};
    case DkimKeyRecord::Status::temperror:
      return Decision{DkimResult::temperror, "key lookup: " + it->second.detail};
  }
  return std::nullopt;
}

// The outcome of a signature the library processed in dkim_eom().
Decision after_library(DKIM_SIGINFO* sig, const MessageContext& ctx, const DkimSignatureRef& ref,
                       const std::string& eom_problem) {
  const int err = dkim_sig_geterror(sig);
  // The library reports a body hash mismatch as BADSIG; say which hash failed.
  if ((err == DKIM_SIGERROR_BADSIG || err == DKIM_SIGERROR_UNKNOWN || err == DKIM_SIGERROR_OK) &&
      dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
    return {DkimResult::fail, "body hash mismatch"};
  }
  if (err != DKIM_SIGERROR_UNKNOWN && err != DKIM_SIGERROR_OK) {
    return from_sig_error(err, ctx, ref);
  }
  const unsigned flags = dkim_sig_getflags(sig);
  if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
    return {DkimResult::permerror, "not verified: " + eom_problem};
  }
  if ((flags & DKIM_SIGFLAG_PASSED) == 0) return {DkimResult::fail, "signature did not verify"};
  if (dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH) {
    return {DkimResult::permerror, "body hash not checked: " + eom_problem};
  }
  return {DkimResult::pass, ""};
}

}  // namespace

void DkimVerifier::LibClose::operator()(dkim_lib* lib) const { dkim_close(lib); }

DkimVerifier::DkimVerifier() {
  lib_.reset(dkim_init(nullptr, nullptr));
  if (!lib_) throw std::runtime_error("libopendkim: dkim_init failed");
  DKIM_LIB* lib = lib_.get();
  // Every option and hook is set here, before the lib is shared (dkim_options does not lock).
  // DELAYSIGPROC: signatures are processed (keys asked for) in dkim_eom(), after our own
  // checks have marked the ones not to process. BADSIGHANDLES: signatures whose tag list does
  // not parse keep their place in the list, so it lines up with the header fields.
  uint32_t flags = DKIM_LIBFLAGS_DELAYSIGPROC | DKIM_LIBFLAGS_BADSIGHANDLES;
  set_option(lib, DKIM_OPTS_FLAGS, &flags, sizeof flags, "flags");
  unsigned min_bits = kMinRsaBits;
  set_option(lib, DKIM_OPTS_MINKEYBITS, &min_bits, sizeof min_bits, "minimum key size");
  uint64_t drift = kLibraryDrift;
  set_option(lib, DKIM_OPTS_CLOCKDRIFT, &drift, sizeof drift, "clock drift");
  if (dkim_set_key_lookup(lib, key_lookup) != DKIM_STAT_OK) {
    throw std::runtime_error("libopendkim: cannot set the key lookup");
  }
  dkim_dns_set_init(lib, nullptr);
  dkim_dns_set_close(lib, dns_close);
  dkim_dns_set_query_service(lib, nullptr);
  dkim_dns_set_query_start(lib, dns_refuse_start);
  dkim_dns_set_query_waitreply(lib, dns_refuse_wait);
  dkim_dns_set_query_cancel(lib, dns_cancel);
}

DkimVerifier::~DkimVerifier() = default;

DkimVerdict DkimVerifier::verify(const core::Message& message, const DkimKeyRecords& keys,
                                 int64_t now_unix) const {
  const std::vector<DkimSignatureRef> refs = dkim_signature_refs(message);
  DkimVerdict verdict;
  if (refs.empty()) return verdict;
  verdict.resize(refs.size());
  std::vector<bool> decided(refs.size(), false);
  auto decide = [&](size_t i, Decision d) {
    verdict[i].result = d.result;
    verdict[i].reason = std::move(d.reason);
    decided[i] = true;
  };
  for (size_t i = 0; i < refs.size(); ++i) {
    verdict[i].domain = refs[i].domain;
    verdict[i].selector = refs[i].selector;
    verdict[i].algorithm = refs[i].algorithm;
    verdict[i].b_prefix = refs[i].b_prefix;
  }
  auto decide_rest = [&](DkimResult r, const std::string& why) {
    for (size_t i = 0; i < refs.size(); ++i) {
      if (!decided[i]) decide(i, {r, why});
    }
  };

  MessageContext ctx;
  ctx.keys = &keys;
  DKIM_STAT st = DKIM_STAT_OK;
  Handle d(dkim_verify(lib_.get(), reinterpret_cast<const u_char*>("hikyaku"), nullptr, &st));
  if (!d) {
    decide_rest(DkimResult::temperror, "libopendkim: " + status_text(st));
    return verdict;
  }
  dkim_set_user_context(d.get(), &ctx);
  for (const auto& f : message.fields()) {
    const std::string_view text = message.field_text(f);
    if (text.empty()) continue;  // len 0 aborts inside the library (assert)
    // A field the library refuses is simply not there for it; signatures covering it fail.
    (void)dkim_header(d.get(), bytes(text), text.size());
  }
  st = dkim_eoh(d.get());
  if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG) {
    const char* e = dkim_geterror(d.get());
    decide_rest(DkimResult::permerror, "message rejected by libopendkim: " + status_text(st) +
                                           (e != nullptr && *e != '\0' ? std::string(" (") + e + ")"
                                                                       : std::string()));
    return verdict;
  }
  DKIM_SIGINFO** sigs = nullptr;
  int nsigs = 0;
  if (dkim_getsiglist(d.get(), &sigs, &nsigs) != DKIM_STAT_OK || sigs == nullptr) nsigs = 0;
  if (static_cast<size_t>(nsigs) != refs.size()) {
    // The library's list no longer lines up with the fields (a field it refused); decide what
    // we can without it and call the rest unverifiable.
    for (size_t i = 0; i < refs.size(); ++i) {
      if (auto pre = decide_before_library(message, refs[i], keys, now_unix)) decide(i, *pre);
    }
    decide_rest(DkimResult::permerror, "libopendkim could not parse the signature");
    return verdict;
  }
  bool any_left = false;
  for (size_t i = 0; i < refs.size(); ++i) {
    DKIM_SIGINFO* sig = sigs[i];
    const int err = dkim_sig_geterror(sig);
    if (err != DKIM_SIGERROR_UNKNOWN && err != DKIM_SIGERROR_OK) {
      decide(i, from_sig_error(err, ctx, refs[i]));
    } else if (auto pre = decide_before_library(message, refs[i], keys, now_unix)) {
      decide(i, *pre);
    }
    if (decided[i]) {
      dkim_sig_ignore(sig);
    } else {
      any_left = true;
    }
  }
  if (!any_left) return verdict;

  const std::string_view body = message.body();
  std::string eom_problem;
  if (!body.empty()) {
    st = dkim_body(d.get(), bytes(body), body.size());
    if (st != DKIM_STAT_OK) eom_problem = "dkim_body: " + status_text(st);
  }
  st = dkim_eom(d.get(), nullptr);
  if (eom_problem.empty()) {
    const char* e = dkim_geterror(d.get());
    eom_problem = "dkim_eom: " + status_text(st) +
                  (e != nullptr && *e != '\0' ? std::string(" (") + e + ")" : std::string());
  }
  for (size_t i = 0; i < refs.size(); ++i) {
    if (!decided[i]) decide(i, after_library(sigs[i], ctx, refs[i], eom_problem));
  }
  return verdict;
}

}  // namespace hikyaku::auth
