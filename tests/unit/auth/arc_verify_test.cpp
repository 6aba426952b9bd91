// arc_verify (RFC 8617 §5.2) on chains sealed here with fresh keys: one and two hops,
// oldest-pass, key forms (SubjectPublicKeyInfo, PKCS#1, Ed25519 per RFC 8463), RFC 8301's
// 1024-bit floor, revoked keys, tampering, instance limits; verify_arc_with (auth/arc_chain)
// keeping a temporarily unavailable key apart from a missing one.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/arc_chain.hpp"
#include "auth/arc_crypto.hpp"
#include "auth/arc_verify.hpp"
#include "auth/dkim_canon.hpp"

namespace hikyaku::auth {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string b64(const std::string& bin) {
  std::string out(4 * ((bin.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bin.data()),
                                static_cast<int>(bin.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

struct Key {
  Pkey pkey;
  bool ed25519 = false;
  std::string record(bool pkcs1 = false) const {
    unsigned char* der = nullptr;
    int n = 0;
    if (ed25519) {
      std::string raw(32, '\0');
      size_t len = raw.size();
      EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(raw.data()), &len);
      return "v=DKIM1; k=ed25519; p=" + b64(raw);
    }
    n = pkcs1 ? i2d_PublicKey(pkey.get(), &der) : i2d_PUBKEY(pkey.get(), &der);
    std::string bin(reinterpret_cast<char*>(der), static_cast<size_t>(n));
    OPENSSL_free(der);
    return "v=DKIM1; k=rsa; p=" + b64(bin);
  }
  std::string sign(const std::string& data) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    const std::string input = ed25519 ? sha256(data) : data;
    EVP_DigestSignInit(ctx.get(), nullptr, ed25519 ? nullptr : EVP_sha256(), nullptr, pkey.get());
    size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size());
    sig.resize(len);
    return b64(sig);
  }
};

Key rsa_key(unsigned bits) { return Key{Pkey(EVP_RSA_gen(bits)), false}; }
Key ed_key() { return Key{Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")), true}; }

// Seals like a forwarding hop: AAR, AMS over from:to:subject (relaxed/relaxed), then AS.
class Chain {
 public:
  explicit Chain(std::string message) : message_(std::move(message)) {}
  void seal(const Key& key, const std::string& selector) {
    const int i = static_cast<int>(sets_.size()) + 1;
    const std::string is = std::to_string(i);
    const std::string a = key.ed25519 ? "ed25519-sha256" : "rsa-sha256";
    Set s;
    s.aar = "ARC-Authentication-Results: i=" + is + "; mx" + is + ".example; spf=pass";
    const core::Message m(s.aar + "\r\n" + message_);
    const std::string bh = b64(sha256(canon_body(Canon::relaxed, m.body())));
    std::string ams = "ARC-Message-Signature: i=" + is + "; a=" + a +
                      "; c=relaxed/relaxed; d=example.org; s=" + selector +
                      ";\r\n\th=from:to:subject:arc-authentication-results; bh=" + bh + "; b=";
    ams += key.sign(signed_header_data(m, Canon::relaxed,
                                       {"from", "to", "subject", "arc-authentication-results"},
                                       ams));
    s.ams = ams;
    std::string as = "ARC-Seal: i=" + is + "; a=" + a + "; cv=" + (i == 1 ? "none" : "pass") +
                     "; d=example.org; s=" + selector + "; t=12345; b=";
    std::string data;
    for (const auto& p : sets_) {
      data += canon_header(Canon::relaxed, p.aar) + canon_header(Canon::relaxed, p.ams) +
              canon_header(Canon::relaxed, p.as);
    }
    data += canon_header(Canon::relaxed, s.aar) + canon_header(Canon::relaxed, s.ams);
    std::string self = canon_header(Canon::relaxed, as);
    data += self.substr(0, self.size() - 2);
    s.as = as + key.sign(data);
    message_ = s.as + "\r\n" + s.ams + "\r\n" + s.aar + "\r\n" + message_;
    sets_.push_back(s);
  }
  std::string& message() { return message_; }

 private:
  struct Set {
    std::string aar, ams, as;
  };
  std::string message_;
  std::vector<Set> sets_;
};

const std::string kBase =
    "From: A <a@example.org>\r\nTo: b@example.net\r\nSubject: hello\r\n\r\nHi there.\r\n";

KeyLookup table(std::map<std::string, std::string> records) {
  return [records](const std::string& name) -> std::optional<std::string> {
    const auto it = records.find(name);
    if (it == records.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ArcVerify, NoArcHeadersIsNone) {
  const auto r = arc_verify(core::Message(kBase), table({}));
  EXPECT_EQ(r.cv, ArcResult::Cv::none);
  EXPECT_EQ(r.instances, 0);
}

TEST(ArcVerify, OneHopPassesWithSpkiAndPkcs1Keys) {
  const Key k = rsa_key(1024);
  Chain c(kBase);
  c.seal(k, "s1");
  for (bool pkcs1 : {false, true}) {
    const auto r = arc_verify(core::Message(c.message()),
                              table({{"s1._domainkey.example.org", k.record(pkcs1)}}));
    EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
    EXPECT_EQ(r.instances, 1);
    EXPECT_EQ(r.oldest_pass, 0);
  }
}

TEST(ArcVerify, TwoHopsAndOldestPass) {
  const Key k1 = rsa_key(2048);
  const Key k2 = rsa_key(1024);
  const auto keys = table({{"s1._domainkey.example.org", k1.record()},
                           {"s2._domainkey.example.org", k2.record()}});
  Chain c(kBase);
  c.seal(k1, "s1");
  c.seal(k2, "s2");
  auto r = arc_verify(core::Message(c.message()), keys);
  EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
  EXPECT_EQ(r.instances, 2);
  EXPECT_EQ(r.oldest_pass, 0);

  // A mailing list between the hops changes the subject: AMS 1 breaks, the chain holds.
  Chain d(kBase);
  d.seal(k1, "s1");
  const size_t at = d.message().find("Subject: hello");
  d.message().replace(at, 14, "Subject: [list] hello");
  d.seal(k2, "s2");
  r = arc_verify(core::Message(d.message()), keys);
  EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
  EXPECT_EQ(r.oldest_pass, 2);

  // Changing the body after the last hop breaks the newest AMS: fail.
  std::string tampered = c.message() + "P.S.\r\n";
  r = arc_verify(core::Message(tampered), keys);
  EXPECT_EQ(r.cv, ArcResult::Cv::fail);
  EXPECT_NE(r.reason.find("body hash"), std::string::npos) << r.reason;
}

TEST(ArcVerify, Ed25519Keys) {
  const Key k = ed_key();
  Chain c(kBase);
  c.seal(k, "ed");
  const auto r = arc_verify(core::Message(c.message()),
                            table({{"ed._domainkey.example.org", k.record()}}));
  EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
}

TEST(ArcVerify, SmallRsaKeysAndRevokedKeysFail) {
  const Key small = rsa_key(768);
  Chain c(kBase);
  c.seal(small, "s1");
  auto r = arc_verify(core::Message(c.message()),
                      table({{"s1._domainkey.example.org", small.record()}}));
  EXPECT_EQ(r.cv, ArcResult::Cv::fail);
  EXPECT_NE(r.reason.find("1024"), std::string::npos) << r.reason;

  const Key k = rsa_key(1024);
  Chain d(kBase);
  d.seal(k, "s1");
  r = arc_verify(core::Message(d.message()), table({{"s1._domainkey.example.org", "v=DKIM1; p="}}));
  EXPECT_EQ(r.cv, ArcResult::Cv::fail);
  EXPECT_NE(r.reason.find("revoked"), std::string::npos) << r.reason;
  r = arc_verify(core::Message(d.message()), table({}));
  EXPECT_EQ(r.cv, ArcResult::Cv::fail);  // no key record at all
}

TEST(ArcVerify, InstanceLimits) {
  for (const char* i : {"0", "51", "1x", "", "-1"}) {
    const std::string m = std::string("ARC-Seal: i=") + i + "; a=rsa-sha256; cv=none; b=x\r\n" + kBase;
    EXPECT_EQ(arc_verify(core::Message(m), table({})).cv, ArcResult::Cv::fail) << i;
  }
  // i=50 parses; the chain then fails for the missing sets 1..49, not on the number.
  const auto r = arc_verify(
      core::Message("ARC-Authentication-Results: i=50; x\r\n" + kBase), table({}));
  EXPECT_EQ(r.cv, ArcResult::Cv::fail);
  EXPECT_EQ(r.instances, 50);
}

TEST(ArcVerify, Base64) {
  EXPECT_EQ(base64_decode("aGVs\r\n bG8="), std::optional<std::string>("hello"));
  EXPECT_FALSE(base64_decode("aGVsbG8"));   // length
  EXPECT_FALSE(base64_decode("aGV=bG8="));  // padding inside
  EXPECT_FALSE(base64_decode("aGVsbG8!"));
}

ArcKeyRecord found(std::string text) { return {ArcKeyRecord::Status::found, std::move(text)}; }
const ArcKeyRecord kAbsent{ArcKeyRecord::Status::absent, ""};
const ArcKeyRecord kUnavailable{ArcKeyRecord::Status::temperror, ""};

TEST(VerifyArcWith, FoundKeysPass) {
  const Key k = rsa_key(1024);
  Chain c(kBase);
  c.seal(k, "s1");
  const auto r = verify_arc_with(core::Message(c.message()), {{"s1._domainkey.example.org", found(k.record())}});
  EXPECT_EQ(r.cv, ArcResult::Cv::pass) << r.reason;
  EXPECT_FALSE(r.temporary);
}

TEST(VerifyArcWith, TemporaryKeyFailureIsKeptApartFromNoKey) {
  const Key k = rsa_key(1024);
  Chain c(kBase);
  c.seal(k, "s1");
  const core::Message m(c.message());
  const auto unavailable = verify_arc_with(m, {{"s1._domainkey.example.org", kUnavailable}});
  EXPECT_EQ(unavailable.cv, ArcResult::Cv::fail);
  EXPECT_TRUE(unavailable.temporary);
  EXPECT_EQ(unavailable.reason, "i=1 AMS: key lookup failed temporarily at s1._domainkey.example.org");
  const auto absent = verify_arc_with(m, {{"s1._domainkey.example.org", kAbsent}});
  EXPECT_EQ(absent.cv, ArcResult::Cv::fail);
  EXPECT_FALSE(absent.temporary);
  EXPECT_EQ(absent.reason, "i=1 AMS: no key record at s1._domainkey.example.org");
  const auto not_fetched = verify_arc_with(m, {});
  EXPECT_EQ(not_fetched.cv, ArcResult::Cv::fail);
  EXPECT_FALSE(not_fetched.temporary);
}

TEST(VerifyArcWith, OnlyTheKeyThatFailedTheChainMakesItTemporary) {
  const Key k1 = rsa_key(1024);
  const Key k2 = rsa_key(1024);
  Chain c(kBase);
  c.seal(k1, "s1");
  c.seal(k2, "s2");
  // The newest ARC-Seal tampered: its AMS still validates (step 4), the older AMS asks for the
  // unavailable key (step 5, informational), then the seal fails with its key found (step 6).
  std::string text = c.message();
  const size_t t = text.find("t=12345");
  ASSERT_NE(t, std::string::npos);
  text.replace(t, 7, "t=12346");
  const auto r = verify_arc_with(core::Message(text), {{"s1._domainkey.example.org", kUnavailable},
                                                       {"s2._domainkey.example.org", found(k2.record())}});
  EXPECT_EQ(r.cv, ArcResult::Cv::fail);
  EXPECT_FALSE(r.temporary) << r.reason;
  // With the newer key unavailable instead, the newest AMS fails for want of it: temporary.
  const auto r2 = verify_arc_with(core::Message(c.message()), {{"s1._domainkey.example.org", found(k1.record())},
                                                               {"s2._domainkey.example.org", kUnavailable}});
  EXPECT_EQ(r2.cv, ArcResult::Cv::fail);
  EXPECT_TRUE(r2.temporary) << r2.reason;
}

}  // namespace
}  // namespace hikyaku::auth
