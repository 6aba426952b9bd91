// Key and certificate files named in the configuration: resolved against the configuration
// file's directory into absolute paths, and refused at load time when missing or unreadable
// (tests run as root, so "unreadable" is a directory where a file should be).
#include <gtest/gtest.h>

#include "config_test_util.hpp"

namespace hikyaku::config {
namespace {

using testing::ScratchDir;

std::vector<std::string> texts(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.text());
  return out;
}

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    cert_ = dir_.write("tls/cert.pem", "-----BEGIN CERTIFICATE-----\n");
    key_ = dir_.write("tls/key.pem", "-----BEGIN PRIVATE KEY-----\n");
    dkim_ = dir_.write("keys/2026r.pem", "-----BEGIN PRIVATE KEY-----\n");
    config_ = (dir_.path() / "hikyaku.toml").string();
  }
  // Writes `toml` as hikyaku.toml in the scratch directory and loads it from there.
  core::Expected<Config, ConfigErrors> load(const std::string& toml) {
    dir_.write("hikyaku.toml", toml);
    return load_file(config_);
  }
  std::string missing(const std::string& relative) const { return (dir_.path() / relative).string(); }

  ScratchDir dir_;
  std::string cert_, key_, dkim_, config_;
};

TEST_F(ConfigFiles, RelativePathsResolveAgainstTheConfigDirectory) {
  auto loaded = load(
      "[server.tls]\ncertificate = \"tls/cert.pem\"\nprivate_key = \"./tls/../tls/key.pem\"\n"
      "[[dkim.key]]\ndomain = \"fwd.example.net\"\nselector = \"2026r\"\nalgorithm = \"ed25519-sha256\"\n"
      "private_key = \"keys/2026r.pem\"\n"
      "[arc]\nenabled = true\ndomain = \"fwd.example.net\"\nselector = \"arc2026\"\nprivate_key = "
      "\"keys/2026r.pem\"\n"
      "[queue]\ndirectory = \"spool\"\n");
  ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(texts(loaded.error()));
  ASSERT_TRUE(loaded->server.tls.has_value());
  EXPECT_EQ(loaded->server.tls->certificate, cert_);
  EXPECT_EQ(loaded->server.tls->private_key, key_);
  ASSERT_EQ(loaded->dkim_keys.size(), 1u);
  EXPECT_EQ(loaded->dkim_keys[0].private_key, dkim_);
  EXPECT_EQ(loaded->dkim_keys[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(loaded->dkim_keys[0].line, 4);
  EXPECT_EQ(loaded->arc.private_key, dkim_);
  EXPECT_TRUE(loaded->arc.enabled);
  EXPECT_EQ(loaded->queue.directory, (dir_.path() / "spool").string());
  EXPECT_EQ(loaded->source_path, config_);
}

TEST_F(ConfigFiles, LoadStringResolvesAgainstTheDirectoryOfItsName) {
  auto loaded = load_string("[server.tls]\ncertificate = \"tls/cert.pem\"\nprivate_key = \"tls/key.pem\"\n",
                            (dir_.path() / "virtual.toml").string());
  ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(texts(loaded.error()));
  EXPECT_EQ(loaded->server.tls->certificate, cert_);
}

TEST_F(ConfigFiles, AbsolutePathsAreKept) {
  auto loaded = load("[server.tls]\ncertificate = \"" + cert_ + "\"\nprivate_key = \"" + key_ + "\"\n");
  ASSERT_TRUE(loaded.has_value()) << ::testing::PrintToString(texts(loaded.error()));
  EXPECT_EQ(loaded->server.tls->certificate, cert_);
}

TEST_F(ConfigFiles, MissingTlsFiles) {
  auto loaded = load("[server.tls]\ncertificate = \"tls/nope.pem\"\nprivate_key = \"nokey.pem\"\n");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(texts(loaded.error()), (std::vector<std::string>{
                                       config_ + ":2: server.tls.certificate: cannot read \"" +
                                           missing("tls/nope.pem") + "\": No such file or directory",
                                       config_ + ":3: server.tls.private_key: cannot read \"" +
                                           missing("nokey.pem") + "\": No such file or directory",
                                   }));
}

TEST_F(ConfigFiles, DirectoryInsteadOfKeyIsUnreadable) {
  auto loaded = load("[server.tls]\ncertificate = \"tls/cert.pem\"\nprivate_key = \"tls\"\n");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(texts(loaded.error()),
            std::vector<std::string>{config_ + ":3: server.tls.private_key: cannot read \"" + missing("tls") +
                                     "\": not a regular file"});
}

TEST_F(ConfigFiles, TlsNeedsBothFiles) {
  auto loaded = load("\n[server.tls]\ncertificate = \"tls/cert.pem\"\n");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(texts(loaded.error()),
            std::vector<std::string>{config_ + ":2: server.tls: private_key is required"});
}

TEST_F(ConfigFiles, MissingDkimKey) {
  auto loaded = load(
      "[[dkim.key]]\ndomain = \"fwd.example.net\"\nselector = \"s\"\nprivate_key = \"keys/gone.pem\"\n"
      "[[dkim.key]]\ndomain = \"fwd.example.net\"\nselector = \"t\"\nprivate_key = \"keys\"\n");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(texts(loaded.error()), (std::vector<std::string>{
                                       config_ + ":4: dkim.key[0].private_key: cannot read \"" +
                                           missing("keys/gone.pem") + "\": No such file or directory",
                                       config_ + ":8: dkim.key[1].private_key: cannot read \"" +
                                           missing("keys") + "\": not a regular file",
                                   }));
}

TEST_F(ConfigFiles, MissingArcKeyOnlyMattersWhenEnabled) {
  const std::string arc =
      "[arc]\ndomain = \"fwd.example.net\"\nselector = \"arc\"\nprivate_key = \"keys/gone.pem\"\nenabled = ";
  EXPECT_TRUE(load(arc + "false\n").has_value());
  auto loaded = load(arc + "true\n");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(texts(loaded.error()),
            std::vector<std::string>{config_ + ":4: arc.private_key: cannot read \"" +
                                     missing("keys/gone.pem") + "\": No such file or directory"});
}

TEST_F(ConfigFiles, EmptyPathIsRefused) {
  auto loaded = load("[server.tls]\ncertificate = \"\"\nprivate_key = \"tls/key.pem\"\n");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(texts(loaded.error()),
            std::vector<std::string>{config_ + ":2: server.tls.certificate: must not be empty"});
}

}  // namespace
}  // namespace hikyaku::config
