// DkimVerifier (RFC 6376 §6, RFC 8463, RFC 8301) on messages signed here with libopendkim:
// RSA and Ed25519 under every c= pair, tampering, key absent/revoked/unavailable, rsa-sha1,
// 512-bit keys, x= at the caller's time, several signatures, and concurrent use.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "auth/dkim_verify.hpp"
#include "dkim_sign_support.hpp"

namespace hikyaku::auth {
namespace {

using testing::SignSpec;
using testing::TestKey;

const std::string kMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.net\r\n"
    "Subject: Lunch  tomorrow\r\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "\r\n"
    "Shall we meet at noon?  \r\n"
    "\r\n"
    "Alice\r\n"
    "\r\n";

constexpr int64_t kNow = 1'700'000'100;  // 100 s after the signer's t=

DkimKeyRecords found(const std::string& name, const std::string& record) {
  DkimKeyRecords keys;
  keys[name] = DkimKeyRecord{DkimKeyRecord::Status::found, {record}, "NOERROR"};
  return keys;
}

const DkimVerifier& verifier() {
  static const DkimVerifier v;
  return v;
}

DkimVerdict verify(const std::string& raw, const DkimKeyRecords& keys, int64_t now = kNow) {
  return verifier().verify(core::Message(raw), keys, now);
}

struct Case {
  const TestKey* key;
  dkim_alg_t alg;
  dkim_canon_t hc;
  dkim_canon_t bc;
};

TEST(DkimVerify, PassesForEveryAlgorithmAndCanonicalization) {
  const dkim_canon_t canons[] = {DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED};
  for (const TestKey* key : {&testing::rsa2048(), &testing::ed25519()}) {
    for (auto hc : canons) {
      for (auto bc : canons) {
        SignSpec spec;
        spec.alg = key->ed25519 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256;
        spec.header_canon = hc;
        spec.body_canon = bc;
        const std::string signed_msg = testing::sign(kMessage, *key, spec) + kMessage;
        const auto v = verify(signed_msg, found("sel._domainkey.example.com", key->record));
        ASSERT_EQ(v.size(), 1u);
        EXPECT_EQ(v[0].result, DkimResult::pass) << v[0].reason << " " << signed_msg;
        EXPECT_EQ(v[0].reason, "");
        EXPECT_EQ(v[0].domain, "example.com");
        EXPECT_EQ(v[0].selector, "sel");
        EXPECT_EQ(v[0].algorithm, key->ed25519 ? "ed25519-sha256" : "rsa-sha256");
        EXPECT_EQ(v[0].b_prefix.size(), 8u);
      }
    }
  }
}

TEST(DkimVerify, TamperedBodyOrHeaderFails) {
  const std::string sig = testing::sign(kMessage, testing::rsa2048(), SignSpec{});
  const auto keys = found("sel._domainkey.example.com", testing::rsa2048().record);
  std::string body = sig + kMessage;
  body.replace(body.find("noon"), 4, "one!");
  auto v = verify(body, keys);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::fail);
  EXPECT_EQ(v[0].reason, "body hash mismatch");

  std::string header = sig + kMessage;
  header.replace(header.find("Lunch"), 5, "Munch");
  v = verify(header, keys);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::fail);
  EXPECT_EQ(v[0].reason, "signature did not verify");
}

TEST(DkimVerify, SimpleHeaderCanonicalizationSeesWhitespace) {
  for (auto hc : {DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED}) {
    SignSpec spec;
    spec.alg = DKIM_SIGN_ED25519SHA256;
    spec.header_canon = hc;
    std::string msg = testing::sign(kMessage, testing::ed25519(), spec) + kMessage;
    msg.replace(msg.find("Lunch  tomorrow"), 15, "Lunch tomorrow ");
    const auto v = verify(msg, found("sel._domainkey.example.com", testing::ed25519().record));
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].result, hc == DKIM_CANON_SIMPLE ? DkimResult::fail : DkimResult::pass)
        << v[0].reason;
  }
}

TEST(DkimVerify, KeyRecordOutcomes) {
  const std::string msg = testing::sign(kMessage, testing::rsa2048(), SignSpec{}) + kMessage;
  DkimKeyRecords absent;
  absent["sel._domainkey.example.com"] = {DkimKeyRecord::Status::absent, {}, "NXDOMAIN"};
  auto v = verify(msg, absent);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::permerror);  // RFC 6376 §6.1.2: PERMFAIL, no key
  EXPECT_EQ(v[0].reason, "no key record (NXDOMAIN)");

  DkimKeyRecords temp;
  temp["sel._domainkey.example.com"] = {DkimKeyRecord::Status::temperror, {}, "SERVFAIL"};
  v = verify(msg, temp);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::temperror);
  EXPECT_EQ(v[0].reason, "key lookup: SERVFAIL");

  v = verify(msg, DkimKeyRecords{});  // the caller did not fetch it
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::temperror);

  v = verify(msg, found("sel._domainkey.example.com", "v=DKIM1; k=rsa; p="));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::permerror);  // revoked (RFC 6376 §3.6.1)
  EXPECT_NE(v[0].reason.find("revoked"), std::string::npos) << v[0].reason;

  v = verify(msg, found("sel._domainkey.example.com", "v=DKIM1; k=rsa; p=!!notbase64"));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::permerror) << v[0].reason;

  // An Ed25519 record for an RSA signature.
  v = verify(msg, found("sel._domainkey.example.com", testing::ed25519().record));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].result, DkimResult::pass);
  EXPECT_NE(v[0].reason, "");

  // A key made for another purpose than mail (s=, RFC 6376 §3.6.1).
  v = verify(msg, found("sel._domainkey.example.com", testing::rsa2048().record + "; s=tlsrpt"));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::permerror) << v[0].reason;
}

TEST(DkimVerify, Pkcs1RsaPublicKeyRecordIsAccepted) {
  const std::string msg = testing::sign(kMessage, testing::rsa2048(), SignSpec{}) + kMessage;
  const auto v = verify(msg, found("sel._domainkey.example.com", testing::rsa2048().record_pkcs1));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::pass) << v[0].reason;
}

TEST(DkimVerify, SeveralTxtRecordsPreferTheKey) {
  const std::string msg = testing::sign(kMessage, testing::rsa2048(), SignSpec{}) + kMessage;
  DkimKeyRecords keys;
  keys["sel._domainkey.example.com"] = {
      DkimKeyRecord::Status::found, {"some other text", testing::rsa2048().record}, "NOERROR"};
  const auto v = verify(msg, keys);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::pass) << v[0].reason;
}

TEST(DkimVerify, RsaSha1FailsWithoutALookup) {
  SignSpec spec;
  spec.alg = DKIM_SIGN_RSASHA1;
  const std::string msg = testing::sign(kMessage, testing::rsa2048(), spec) + kMessage;
  const auto v = verify(msg, found("sel._domainkey.example.com", testing::rsa2048().record));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::fail);
  EXPECT_EQ(v[0].algorithm, "rsa-sha1");
  EXPECT_EQ(v[0].reason, "rsa-sha1 is not accepted (RFC 8301)");
}

TEST(DkimVerify, RsaKeyUnder1024BitsFails) {
  const std::string msg = testing::sign(kMessage, testing::rsa512(), SignSpec{}) + kMessage;
  const auto v = verify(msg, found("sel._domainkey.example.com", testing::rsa512().record));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::fail);
  EXPECT_EQ(v[0].reason, "RSA key shorter than 1024 bits (RFC 8301)");
}

TEST(DkimVerify, TwoSignaturesOneGoodOneBad) {
  SignSpec ed;
  ed.alg = DKIM_SIGN_ED25519SHA256;
  ed.selector = "ed";
  SignSpec rsa;
  rsa.selector = "rsa";
  const std::string msg = testing::sign(kMessage, testing::ed25519(), ed) +
                          testing::sign(kMessage, testing::rsa2048(), rsa) + kMessage;
  DkimKeyRecords keys = found("ed._domainkey.example.com", testing::ed25519().record);
  // The RSA record publishes a different key: the second signature fails.
  keys["rsa._domainkey.example.com"] = {DkimKeyRecord::Status::found,
                                        {testing::make_key("RSA", 1024).record}, "NOERROR"};
  const auto v = verify(msg, keys);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].selector, "ed");
  EXPECT_EQ(v[0].result, DkimResult::pass) << v[0].reason;
  EXPECT_EQ(v[1].selector, "rsa");
  EXPECT_EQ(v[1].result, DkimResult::fail);
  EXPECT_EQ(v[1].reason, "signature did not verify");
}

TEST(DkimVerify, BrokenSignatureFieldKeepsItsPlace) {
  SignSpec ed;
  ed.alg = DKIM_SIGN_ED25519SHA256;
  const std::string good = testing::sign(kMessage, testing::ed25519(), ed);
  const std::string msg = "DKIM-Signature: v=1; a=rsa-sha256;; d=example.com\r\n" + good +
                          "DKIM-Signature: v=1; d=example.com; s=x\r\n" + kMessage;
  const auto v = verify(msg, found("sel._domainkey.example.com", testing::ed25519().record));
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].result, DkimResult::permerror);
  EXPECT_EQ(v[1].result, DkimResult::pass) << v[1].reason;
  EXPECT_EQ(v[2].result, DkimResult::permerror);
  EXPECT_NE(v[2].reason, "");
}

TEST(DkimVerify, ExpiryAndFutureUseTheGivenTime) {
  SignSpec spec;
  spec.alg = DKIM_SIGN_ED25519SHA256;
  spec.ttl = 3600;  // x= = t= + 1 h, long past on the wall clock
  const std::string msg = testing::sign(kMessage, testing::ed25519(), spec) + kMessage;
  const auto keys = found("sel._domainkey.example.com", testing::ed25519().record);
  auto v = verify(msg, keys, 1'700'000'000 + 3600);  // at x= exactly: still valid
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::pass) << v[0].reason;
  v = verify(msg, keys, 1'700'000'000 + 3601);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].result, DkimResult::permerror);
  EXPECT_EQ(v[0].reason, "signature expired (x=)");
  v = verify(msg, keys, 1'700'000'000 - kDkimClockDrift);  // within the drift
  EXPECT_EQ(v[0].result, DkimResult::pass) << v[0].reason;
  v = verify(msg, keys, 1'700'000'000 - kDkimClockDrift - 1);
  EXPECT_EQ(v[0].result, DkimResult::permerror);
  EXPECT_EQ(v[0].reason, "t= in the future");
}

TEST(DkimVerify, NoSignatureIsAnEmptyVerdict) {
  EXPECT_TRUE(verify(kMessage, {}).empty());
  EXPECT_TRUE(verify("", {}).empty());
}

TEST(DkimVerify, SignaturesBeyondTheLimitAreNotChecked) {
  SignSpec ed;
  ed.alg = DKIM_SIGN_ED25519SHA256;
  const std::string one = testing::sign(kMessage, testing::ed25519(), ed);
  std::string msg;
  for (size_t i = 0; i < kMaxDkimSignatures + 1; ++i) msg += one;
  const auto v = verify(msg + kMessage, found("sel._domainkey.example.com",
                                              testing::ed25519().record));
  ASSERT_EQ(v.size(), kMaxDkimSignatures + 1);
  for (size_t i = 0; i < kMaxDkimSignatures; ++i) EXPECT_EQ(v[i].result, DkimResult::pass) << i;
  EXPECT_EQ(v.back().result, DkimResult::policy);
}

TEST(DkimVerify, ConcurrentVerificationsShareOneVerifier) {
  SignSpec ed;
  ed.alg = DKIM_SIGN_ED25519SHA256;
  ed.selector = "ed";
  const std::string msg = testing::sign(kMessage, testing::ed25519(), ed) +
                          testing::sign(kMessage, testing::rsa2048(), SignSpec{}) + kMessage;
  DkimKeyRecords keys = found("ed._domainkey.example.com", testing::ed25519().record);
  keys["sel._domainkey.example.com"] = {DkimKeyRecord::Status::found,
                                        {testing::rsa2048().record}, "NOERROR"};
  const core::Message message(msg);
  std::vector<int> passes(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < passes.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const auto v = verifier().verify(message, keys, kNow);
        if (v.size() == 2 && v[0].result == DkimResult::pass && v[1].result == DkimResult::pass) {
          ++passes[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int p : passes) EXPECT_EQ(p, 20);
}

}  // namespace
}  // namespace hikyaku::auth
