// DKIM-Signature fields to key names (RFC 6376 §3.5, §3.6.2.1) and the key TXT lookups
// (§3.6.2.2, §6.1.2) against a zone: found, NXDOMAIN, NODATA, SERVFAIL, several signatures,
// bad syntax (no lookup) and the signature limit.
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "auth/dkim_key_fetch.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::auth {
namespace {

const char* const kZone =
    "$ORIGIN example.com.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n"
    "sel._domainkey IN TXT \"v=DKIM1; k=rsa; \" \"p=AAAA\"\n"
    "ed._domainkey IN TXT \"v=DKIM1; k=ed25519; p=BBBB\"\n"
    "nodata._domainkey IN A 192.0.2.1\n";

DkimKeyRecords fetch(dns::Resolver& resolver, const core::Message& message) {
  asio::io_context io;
  DkimKeyRecords out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    out = co_await fetch_dkim_keys(resolver, message);
  }, asio::detached);
  io.run();
  return out;
}

std::string sig(const std::string& tags) { return "DKIM-Signature: " + tags + "\r\n"; }

const std::string kRest = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";

TEST(DkimKeyFetch, SignatureRefsParseTheTags) {
  const core::Message m(sig("v=1; a=rsa-sha256; d=Example.COM; s=Sel;\r\n\tb=abc d\r\n efghij=; "
                            "bh=x; h=from") + kRest);
  const auto refs = dkim_signature_refs(m);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].field_index, 0u);
  EXPECT_EQ(refs[0].domain, "Example.COM");
  EXPECT_EQ(refs[0].selector, "Sel");
  EXPECT_EQ(refs[0].algorithm, "rsa-sha256");
  EXPECT_EQ(refs[0].b_prefix, "abcdefgh");
  EXPECT_EQ(refs[0].key_name, "sel._domainkey.example.com");
  EXPECT_EQ(refs[0].problem, "");
}

TEST(DkimKeyFetch, NoLookupForBadSyntaxOrUnusableSignatures) {
  const core::Message m(sig("v=1; a=rsa-sha256; d=example.com; s=sel;; b=x") +  // ";;"
                        sig("v=1; a=rsa-sha1; d=example.com; s=sel; b=x") +
                        sig("v=2; a=rsa-sha256; d=example.com; s=sel; b=x") +
                        sig("v=1; a=rsa-sha256; d=exa mple.com; s=sel; b=x") +
                        sig("v=1; a=rsa-sha256; d=example.com; b=x") +
                        sig("v=1; a=rsa-sha256; d=example.com; s=sel; q=http; b=x") +
                        sig("v=1; a=rsa-sha256; d=example.com; s=a..b; b=x") +
                        sig("v=1; a=ed25519-sha256; d=example.com; s=ed; q=dns/txt; b=x") + kRest);
  const auto refs = dkim_signature_refs(m);
  ASSERT_EQ(refs.size(), 8u);
  for (size_t i = 0; i + 1 < refs.size(); ++i) {
    EXPECT_EQ(refs[i].key_name, "") << i;
    EXPECT_NE(refs[i].problem, "") << i;
  }
  EXPECT_EQ(refs[1].problem, "unsupported algorithm rsa-sha1");
  EXPECT_EQ(refs[5].problem, "q= offers no dns/txt");
  EXPECT_EQ(refs[7].key_name, "ed._domainkey.example.com");
  EXPECT_EQ(refs[7].field_index, 7u);
}

TEST(DkimKeyFetch, FoundAbsentAndNodata) {
  auto zone = dns::ZoneFileResolver::from_text(kZone, "dkim.zone");
  ASSERT_TRUE(zone);
  const core::Message m(sig("v=1; a=rsa-sha256; d=example.com; s=sel; b=x") +
                        sig("v=1; a=ed25519-sha256; d=EXAMPLE.com; s=ed; b=y") +
                        sig("v=1; a=rsa-sha256; d=example.com; s=missing; b=z") +
                        sig("v=1; a=rsa-sha256; d=example.com; s=nodata; b=w") +
                        sig("v=1; a=rsa-sha256; d=example.com; s=SEL; b=v") +  // same key name
                        sig("v=1; a=rsa-sha1; d=example.com; s=other; b=u") + kRest);
  const DkimKeyRecords keys = fetch(*zone, m);
  ASSERT_EQ(keys.size(), 4u);
  const auto& sel = keys.at("sel._domainkey.example.com");
  EXPECT_EQ(sel.status, DkimKeyRecord::Status::found);
  ASSERT_EQ(sel.texts.size(), 1u);
  EXPECT_EQ(sel.texts[0], "v=DKIM1; k=rsa; p=AAAA");  // character-strings joined
  EXPECT_EQ(keys.at("ed._domainkey.example.com").status, DkimKeyRecord::Status::found);
  EXPECT_EQ(keys.at("missing._domainkey.example.com").status, DkimKeyRecord::Status::absent);
  EXPECT_EQ(keys.at("nodata._domainkey.example.com").status, DkimKeyRecord::Status::absent);
  EXPECT_EQ(keys.count("other._domainkey.example.com"), 0u);  // rsa-sha1: no lookup
}

// A resolver that fails every query temporarily and counts them.
class FailingResolver final : public dns::Resolver {
 public:
  asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
    ++queries;
    co_return dns::DnsAnswer::failure(std::move(name), type, dns::DnsStatus::servfail, "test");
  }
  int queries = 0;
};

TEST(DkimKeyFetch, ServfailIsTemperror) {
  FailingResolver resolver;
  const core::Message m(sig("v=1; a=rsa-sha256; d=example.com; s=sel; b=x") + kRest);
  const DkimKeyRecords keys = fetch(resolver, m);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.begin()->second.status, DkimKeyRecord::Status::temperror);
  EXPECT_NE(keys.begin()->second.detail.find("test"), std::string::npos);
  EXPECT_STREQ(to_string(keys.begin()->second.status), "temperror");
}

TEST(DkimKeyFetch, AtMostTheSignatureLimitIsLookedUp) {
  std::string fields;
  for (size_t i = 0; i < kMaxDkimSignatures + 3; ++i) {
    fields += sig("v=1; a=rsa-sha256; d=example.com; s=s" + std::to_string(i) + "; b=x");
  }
  const core::Message m(fields + kRest);
  const auto refs = dkim_signature_refs(m);
  ASSERT_EQ(refs.size(), kMaxDkimSignatures + 3);
  EXPECT_FALSE(refs[kMaxDkimSignatures - 1].beyond_limit);
  EXPECT_TRUE(refs[kMaxDkimSignatures].beyond_limit);
  EXPECT_EQ(refs[kMaxDkimSignatures].key_name, "");
  FailingResolver resolver;
  const DkimKeyRecords keys = fetch(resolver, m);
  EXPECT_EQ(keys.size(), kMaxDkimSignatures);
  EXPECT_EQ(resolver.queries, static_cast<int>(kMaxDkimSignatures));
}

TEST(DkimKeyFetch, NoSignatureNoLookup) {
  FailingResolver resolver;
  const core::Message m(kRest);
  EXPECT_TRUE(dkim_signature_refs(m).empty());
  EXPECT_TRUE(fetch(resolver, m).empty());
  EXPECT_EQ(resolver.queries, 0);
}

}  // namespace
}  // namespace hikyaku::auth
