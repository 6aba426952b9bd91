// arc_seal (RFC 8617 §5.1) checked by arc_verify (§5.2): a first seal (i=1, cv=none), a second
// hop (cv=pass), §5.1.2 cv=fail sealing and refusal to re-seal a failed chain, an AMS h= without
// From, Ed25519 (RFC 8463), and the §4.2.1 limit of 50 instances.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "auth/arc_crypto.hpp"
#include "auth/arc_seal.hpp"
#include "auth/arc_verify.hpp"

namespace hikyaku::auth {
namespace {

struct Keys {
  std::string pem;     // PKCS#8 private key
  std::string record;  // DKIM key record
  bool ed25519 = false;
};

Keys make_keys(bool ed25519) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k(
      ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519") : EVP_RSA_gen(2048), EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  Keys out;
  out.ed25519 = ed25519;
  out.pem.assign(data, static_cast<size_t>(len));
  if (ed25519) {
    std::string raw(32, '\0');
    size_t n = raw.size();
    EVP_PKEY_get_raw_public_key(k.get(), reinterpret_cast<unsigned char*>(raw.data()), &n);
    out.record = "v=DKIM1; k=ed25519; p=" + base64_encode(raw);
  } else {
    unsigned char* der = nullptr;
    const int n = i2d_PUBKEY(k.get(), &der);
    out.record = "v=DKIM1; k=rsa; p=" +
                 base64_encode(std::string(reinterpret_cast<char*>(der), static_cast<size_t>(n)));
    OPENSSL_free(der);
  }
  return out;
}

const Keys& rsa() {
  static const Keys k = make_keys(false);
  return k;
}

const char* kMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: list@example.org\r\n"
    "Subject: hello\r\n"
    "Date: Thu, 14 Jan 2015 15:00:01 -0800\r\n"
    "\r\n"
    "Hi  there.\r\n"
    "\r\n";

KeyLookup lookup_for(const Keys& k) {
  return [&k](const std::string& name) -> std::optional<std::string> {
    if (name == "sel._domainkey.relay.example") return k.record;
    return std::nullopt;
  };
}

ArcSealParams params(const ArcResult* chain, const Keys& k = rsa()) {
  ArcSealParams p;
  p.domain = "relay.example";
  p.selector = "sel";
  auto key = PrivateKey::from_pem(k.pem);
  EXPECT_TRUE(key) << key.error();
  if (key) p.key = *key;
  p.alg = k.ed25519 ? SigAlgorithm::ed25519_sha256 : SigAlgorithm::rsa_sha256;
  p.authserv_id = "mx.relay.example";
  p.auth_results = "spf=pass smtp.mailfrom=example.com";
  p.ams_headers = {"from", "to", "subject", "date"};
  p.timestamp = 1700000000;
  p.chain = chain;
  return p;
}

// Seals `raw` once (verifying it first) and returns the new message.
std::string seal_once(const std::string& raw, const Keys& k = rsa()) {
  const core::Message m(raw);
  const ArcResult chain = arc_verify(m, lookup_for(k));
  auto sealed = arc_seal(m, params(&chain, k));
  EXPECT_TRUE(sealed) << (sealed ? "" : sealed.error());
  return sealed ? *sealed + raw : raw;
}

TEST(ArcSeal, FirstSealVerifies) {
  const std::string sealed = seal_once(kMessage);
  EXPECT_EQ(sealed.rfind("ARC-Seal: ", 0), 0u);
  EXPECT_NE(sealed.find("cv=none"), std::string::npos);
  EXPECT_LT(sealed.find("ARC-Seal:"), sealed.find("ARC-Message-Signature:"));
  EXPECT_LT(sealed.find("ARC-Message-Signature:"), sealed.find("ARC-Authentication-Results:"));
  EXPECT_NE(sealed.find("ARC-Authentication-Results: i=1; mx.relay.example;"), std::string::npos);
  const ArcResult r = arc_verify(core::Message(sealed), lookup_for(rsa()));
  EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
  EXPECT_EQ(r.instances, 1);
}

TEST(ArcSeal, SecondSealPasses) {
  const std::string twice = seal_once(seal_once(kMessage));
  EXPECT_NE(twice.find("cv=pass"), std::string::npos);
  const ArcResult r = arc_verify(core::Message(twice), lookup_for(rsa()));
  EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
  EXPECT_EQ(r.instances, 2);
  EXPECT_EQ(r.oldest_pass, 0);
}

TEST(ArcSeal, Ed25519SealVerifies) {
  static const Keys ed = make_keys(true);
  const std::string sealed = seal_once(kMessage, ed);
  EXPECT_NE(sealed.find("a=ed25519-sha256"), std::string::npos);
  const ArcResult r = arc_verify(core::Message(sealed), lookup_for(ed));
  EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
}

TEST(ArcSeal, BrokenChainGetsCvFailOnce) {
  std::string once = seal_once(kMessage);
  once.replace(once.find("Hi  there."), 10, "Hi  thebe.");  // breaks the i=1 body hash
  const core::Message broken(once);
  const ArcResult chain = arc_verify(broken, lookup_for(rsa()));
  ASSERT_EQ(chain.cv, ArcResult::Cv::fail);
  auto sealed = arc_seal(broken, params(&chain));
  ASSERT_TRUE(sealed) << sealed.error();
  EXPECT_NE(sealed->find("cv=fail"), std::string::npos);
  EXPECT_NE(sealed->find("i=2;"), std::string::npos);
  // The cv=fail set is the newest now: another seal is refused (§5.1.2).
  const core::Message failed(*sealed + once);
  const ArcResult again = arc_verify(failed, lookup_for(rsa()));
  EXPECT_EQ(again.cv, ArcResult::Cv::fail);
  auto refused = arc_seal(failed, params(&again));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "chain already failed");
}

TEST(ArcSeal, AmsWithoutFromVerifies) {
  const core::Message m(kMessage);
  const ArcResult none = arc_verify(m, lookup_for(rsa()));
  ArcSealParams p = params(&none);
  p.ams_headers = {"subject", "x-absent"};
  auto sealed = arc_seal(m, p);
  ASSERT_TRUE(sealed) << sealed.error();
  EXPECT_NE(sealed->find("h=subject:x-absent"), std::string::npos);
  const ArcResult r = arc_verify(core::Message(*sealed + kMessage), lookup_for(rsa()));
  EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
}

TEST(ArcSeal, ArcSealInAmsHeadersRefused) {
  const core::Message m(kMessage);
  ArcSealParams p = params(nullptr);
  p.ams_headers = {"from", "ARC-Seal"};
  EXPECT_FALSE(arc_seal(m, p));
}

TEST(ArcSeal, FiftyFirstInstanceRefused) {
  // Each seal is told the chain so far passes (what verifying it would say: the full check
  // below proves it), so building 50 instances costs 50 seals, not 1,275 verifications.
  std::string raw = kMessage;
  for (int i = 0; i < 50; ++i) {
    ArcResult so_far;
    so_far.cv = i == 0 ? ArcResult::Cv::none : ArcResult::Cv::pass;
    so_far.instances = i;
    auto sealed = arc_seal(core::Message(raw), params(&so_far));
    ASSERT_TRUE(sealed) << sealed.error();
    raw = *sealed + raw;
  }
  const core::Message m(raw);
  const ArcResult chain = arc_verify(m, lookup_for(rsa()));
  EXPECT_EQ(chain.cv, ArcResult::Cv::pass) << chain.reason;
  EXPECT_EQ(chain.instances, 50);
  auto refused = arc_seal(m, params(&chain));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "too many ARC instances");
}

TEST(ArcSeal, ConsolidatesAuthenticationResults) {
  const core::Message m(
      "Authentication-Results: mx.relay.example; spf=pass\r\n"
      "Authentication-Results: other.example; dkim=fail\r\n"
      "Authentication-Results: mx.relay.example;\r\n dkim=pass header.d=a.example; dmarc=pass\r\n"
      "\r\n");
  EXPECT_EQ(consolidate_auth_results(m, "mx.relay.example"),
            "spf=pass;\r\n\tdkim=pass header.d=a.example;\r\n\tdmarc=pass");
  EXPECT_EQ(consolidate_auth_results(m, "nobody.example"), "");
}

}  // namespace
}  // namespace hikyaku::auth
