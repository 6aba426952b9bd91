// Test support for unit_dkim: keys generated with OpenSSL into a temp dir, tag parsing, and an
// independent libopendkim verifier fed the public records through dkim_set_key_lookup
// (RFC 6376 §6 verifier actions; RFC 8463 Ed25519 and RFC 8301 RSA keys).
#pragma once
#include <stdbool.h>  // pitfall K1
#include <dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace hikyaku::dkim::testing {

// A temp directory removed when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hikyaku-dkim-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

// "RSA" with bits, or "ED25519"; returned as PKCS#8 PEM ("BEGIN PRIVATE KEY").
inline std::string generate_key_pem(const char* type, size_t rsa_bits = 0) {
  EVP_PKEY* pkey = rsa_bits != 0 ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, rsa_bits)
                                 : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  if (pkey == nullptr) throw std::runtime_error("key generation failed");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

// Generating RSA keys is slow under the sanitizers: one of each per process.
inline const std::string& rsa2048_pem() {
  static const std::string pem = generate_key_pem("RSA", 2048);
  return pem;
}
inline const std::string& ed25519_pem() {
  static const std::string pem = generate_key_pem("ED25519");
  return pem;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of tag `name` in a DKIM-Signature field, whitespace (FWS) removed.
inline std::string tag_value(const std::string& field, const std::string& name) {
  std::string flat;
  const size_t colon = field.find(':');
  for (char c : field.substr(colon + 1)) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') flat += c;
  }
  size_t pos = 0;
  while (pos < flat.size()) {
    size_t end = flat.find(';', pos);
    if (end == std::string::npos) end = flat.size();
    const std::string tag = flat.substr(pos, end - pos);
    if (tag.rfind(name + "=", 0) == 0) return tag.substr(name.size() + 1);
    pos = end + 1;
  }
  return {};
}

inline std::vector<std::string> split_h(const std::string& h) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : h) {
    if (c == ':') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Verdict {
  std::string domain;
  std::string selector;
  bool pass = false;
  std::string error;
};

// Verifies every DKIM-Signature of `raw` (CRLF message) with libopendkim, the keys coming from
// `records` ("sel._domainkey.dom" -> TXT value). One verdict per signature, in header order.
inline std::vector<Verdict> verify_message(const std::string& raw,
                                           const std::map<std::string, std::string>& records) {
  static DKIM_LIB* lib = [] {
    DKIM_LIB* l = dkim_init(nullptr, nullptr);
    dkim_set_key_lookup(l, [](DKIM* d, DKIM_SIGINFO* sig, u_char* buf, size_t len) {
      const auto* recs = static_cast<const std::map<std::string, std::string>*>(
          dkim_get_user_context(d));
      const std::string name = std::string(reinterpret_cast<char*>(dkim_sig_getselector(sig))) +
                               "._domainkey." +
                               reinterpret_cast<char*>(dkim_sig_getdomain(sig));
      const auto it = recs->find(name);
      if (it == recs->end() || it->second.size() + 1 > len) return DKIM_CBSTAT_NOTFOUND;
      std::memcpy(buf, it->second.c_str(), it->second.size() + 1);
      return DKIM_CBSTAT_CONTINUE;
    });
    return l;
  }();
  const core::Message msg(raw);
  DKIM_STAT st = DKIM_STAT_OK;
  DKIM* d = dkim_verify(lib, reinterpret_cast<const u_char*>("test"), nullptr, &st);
  if (d == nullptr) throw std::runtime_error("dkim_verify failed");
  dkim_set_user_context(d, const_cast<std::map<std::string, std::string>*>(&records));
  for (const auto& f : msg.fields()) {
    const std::string_view t = msg.field_text(f);
    dkim_header(d, reinterpret_cast<u_char*>(const_cast<char*>(t.data())), t.size());
  }
  dkim_eoh(d);
  const std::string_view body = msg.body();
  if (!body.empty()) {
    dkim_body(d, reinterpret_cast<u_char*>(const_cast<char*>(body.data())), body.size());
  }
  dkim_eom(d, nullptr);
  DKIM_SIGINFO** sigs = nullptr;
  int n = 0;
  std::vector<Verdict> out;
  if (dkim_getsiglist(d, &sigs, &n) == DKIM_STAT_OK) {
    for (int i = 0; i < n; ++i) {
      Verdict v;
      v.domain = reinterpret_cast<char*>(dkim_sig_getdomain(sigs[i]));
      v.selector = reinterpret_cast<char*>(dkim_sig_getselector(sigs[i]));
      v.pass = DKIM_SIG_CHECK(sigs[i]);
      const char* e = dkim_sig_geterrorstr(static_cast<DKIM_SIGERROR>(dkim_sig_geterror(sigs[i])));
      v.error = e != nullptr ? e : "";
      if (!v.pass && dkim_sig_getbh(sigs[i]) == DKIM_SIGBH_MISMATCH) v.error += " (body hash)";
      out.push_back(std::move(v));
    }
  }
  dkim_free(d);
  return out;
}

}  // namespace hikyaku::dkim::testing
