// Unit tests for dkim/KeyStore: RSA >= 2048 bits for signing (RFC 8301 §3.2), Ed25519 PKCS#8
// (RFC 8463 §3), wrong key type, missing and garbage files, the published record (RFC 6376
// §3.6.1, RFC 8463 §4), and that no error message ever carries key material.
#include "dkim/key_store.hpp"

#include <gtest/gtest.h>

#include "dkim_test_support.hpp"

namespace hikyaku::dkim {
namespace {

using testing::TempDir;

config::DkimKeyConfig entry(const std::string& path, const std::string& alg,
                            const std::string& selector = "s1") {
  config::DkimKeyConfig c;
  c.domain = "example.com";
  c.selector = selector;
  c.algorithm = alg;
  c.private_key = path;
  c.line = 7;
  return c;
}

TEST(KeyStore, LoadsRsa2048AndEd25519) {
  TempDir dir;
  const auto rsa = dir.write("rsa.pem", testing::rsa2048_pem());
  const auto ed = dir.write("ed.pem", testing::ed25519_pem());
  auto store = KeyStore::load({entry(rsa, "rsa-sha256", "r"), entry(ed, "ed25519-sha256", "e")});
  ASSERT_TRUE(store) << store.error().front();
  ASSERT_EQ(store->keys().size(), 2u);
  EXPECT_EQ(store->keys()[0].algorithm(), Algorithm::rsa_sha256);
  EXPECT_EQ(store->keys()[0].bits(), 2048);
  EXPECT_EQ(store->keys()[0].selector(), "r");
  EXPECT_EQ(store->keys()[1].algorithm(), Algorithm::ed25519_sha256);
  ASSERT_TRUE(store->keys()[1].private_key());
  EXPECT_EQ(store->keys()[1].private_key().algorithm(), auth::SigAlgorithm::ed25519_sha256);
  EXPECT_EQ(store->keys()[0].private_key().algorithm(), auth::SigAlgorithm::rsa_sha256);
  EXPECT_EQ(store->for_domain("EXAMPLE.com").size(), 2u);
  EXPECT_TRUE(store->for_domain("example.net").empty());
}

TEST(KeyStore, PublicRecords) {
  auto rsa = parse_signing_key(testing::rsa2048_pem(), "example.com", "r", Algorithm::rsa_sha256,
                               "mem");
  ASSERT_TRUE(rsa) << rsa.error();
  const std::string r = public_key_record(*rsa);
  EXPECT_EQ(r.rfind("v=DKIM1; k=rsa; p=MII", 0), 0u) << r;  // base64 SPKI DER
  EXPECT_GT(r.size(), 380u);

  auto ed = parse_signing_key(testing::ed25519_pem(), "example.com", "e",
                              Algorithm::ed25519_sha256, "mem");
  ASSERT_TRUE(ed) << ed.error();
  const std::string e = public_key_record(*ed);
  ASSERT_EQ(e.rfind("v=DKIM1; k=ed25519; p=", 0), 0u) << e;
  EXPECT_EQ(e.size() - std::strlen("v=DKIM1; k=ed25519; p="), 44u);  // 32 raw bytes
}

TEST(KeyStore, Rfc8463Ed25519PublicKeyMatchesThePublishedRecord) {
  const std::string pem = testing::read_file(
      HIKYAKU_SOURCE_DIR "/../shared/conformance/dkim/rfc8463/ed25519-private.pkcs8.pem");
  if (pem.empty()) GTEST_SKIP() << "RFC 8463 vectors not present next to the source tree";
  auto key = parse_signing_key(pem, "football.example.com", "brisbane",
                               Algorithm::ed25519_sha256, "rfc8463");
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ(public_key_record(*key),
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

TEST(KeyStore, RefusesRsa1024ForSigning) {
  TempDir dir;
  const auto path = dir.write("small.pem", testing::generate_key_pem("RSA", 1024));
  auto store = KeyStore::load({entry(path, "rsa-sha256")});
  ASSERT_FALSE(store);
  ASSERT_EQ(store.error().size(), 1u);
  EXPECT_NE(store.error()[0].find(path), std::string::npos) << store.error()[0];
  EXPECT_NE(store.error()[0].find("1024 bits"), std::string::npos) << store.error()[0];
  EXPECT_NE(store.error()[0].find("line 7"), std::string::npos) << store.error()[0];
}

TEST(KeyStore, RefusesKeyOfTheWrongAlgorithm) {
  TempDir dir;
  const auto rsa = dir.write("rsa.pem", testing::rsa2048_pem());
  const auto ed = dir.write("ed.pem", testing::ed25519_pem());
  auto store = KeyStore::load({entry(rsa, "ed25519-sha256"), entry(ed, "rsa-sha256")});
  ASSERT_FALSE(store);
  ASSERT_EQ(store.error().size(), 2u);  // every bad key reported, not only the first
  EXPECT_NE(store.error()[0].find(rsa), std::string::npos);
  EXPECT_NE(store.error()[0].find("needs an Ed25519 key, this is an RSA key"), std::string::npos)
      << store.error()[0];
  EXPECT_NE(store.error()[1].find(ed), std::string::npos);
  EXPECT_NE(store.error()[1].find("needs an RSA key, this is an Ed25519 key"), std::string::npos)
      << store.error()[1];
}

TEST(KeyStore, RefusesUnknownAlgorithm) {
  TempDir dir;
  const auto rsa = dir.write("rsa.pem", testing::rsa2048_pem());
  auto store = KeyStore::load({entry(rsa, "rsa-sha1")});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error()[0].find("unknown DKIM algorithm \"rsa-sha1\""), std::string::npos);
}

TEST(KeyStore, MissingAndGarbageFilesNamed) {
  TempDir dir;
  const auto missing = (dir.path() / "nope.pem").string();
  const auto garbage = dir.write("garbage.pem", "this is not a key\n");
  const auto empty = dir.write("empty.pem", "");
  const auto nul = dir.write("nul.pem", std::string("-----BEGIN PRIVATE KEY-----\0x", 30));
  auto store = KeyStore::load({entry(missing, "rsa-sha256"), entry(garbage, "rsa-sha256"),
                               entry(empty, "ed25519-sha256"), entry(nul, "rsa-sha256")});
  ASSERT_FALSE(store);
  ASSERT_EQ(store.error().size(), 4u);
  EXPECT_NE(store.error()[0].find(missing + " (configured at line 7): cannot open"),
            std::string::npos) << store.error()[0];
  EXPECT_NE(store.error()[1].find(garbage), std::string::npos);
  EXPECT_NE(store.error()[1].find("not a readable unencrypted PEM private key"),
            std::string::npos) << store.error()[1];
  EXPECT_NE(store.error()[2].find(empty), std::string::npos);
  EXPECT_NE(store.error()[3].find("NUL"), std::string::npos) << store.error()[3];
}

TEST(KeyStore, RefusesEncryptedKeyWithoutLeakingIt) {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  ASSERT_NE(pkey, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  static const char pass[] = "secret";
  PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(), pass, sizeof pass - 1, nullptr,
                                nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  auto key = parse_signing_key(pem, "example.com", "e", Algorithm::ed25519_sha256, "enc.pem");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().find("BEGIN"), std::string::npos) << key.error();
  EXPECT_EQ(key.error().find(pem.substr(40, 20)), std::string::npos);
}

TEST(KeyStore, ErrorsCarryNoKeyMaterial) {
  // The 1024-bit refusal happens after the key is parsed: its text must not be in the message.
  const std::string pem = testing::generate_key_pem("RSA", 1024);
  auto key = parse_signing_key(pem, "example.com", "s", Algorithm::rsa_sha256, "k.pem");
  ASSERT_FALSE(key);
  for (size_t off = 30; off + 16 < pem.size(); off += 64) {
    EXPECT_EQ(key.error().find(pem.substr(off, 16)), std::string::npos);
  }
}

TEST(KeyStore, AcceptsPkcs1RsaPemAtAnExplicitTestMinimum) {
  // RFC 8463's RSA key: PKCS#1 PEM, 1024 bits. Refused by default, usable for the vectors.
  const std::string pem = testing::read_file(
      HIKYAKU_SOURCE_DIR "/../shared/conformance/dkim/rfc8463/rsa-private.pem");
  if (pem.empty()) GTEST_SKIP() << "RFC 8463 vectors not present next to the source tree";
  EXPECT_FALSE(parse_signing_key(pem, "football.example.com", "test", Algorithm::rsa_sha256,
                                 "rfc8463"));
  EXPECT_TRUE(parse_signing_key(pem, "football.example.com", "test", Algorithm::rsa_sha256,
                                "rfc8463", 1024));
}

}  // namespace
}  // namespace hikyaku::dkim
