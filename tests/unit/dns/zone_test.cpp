// Unit tests for dns/zone and ZoneFileResolver: answers as a resolver gives them — NXDOMAIN vs
// NODATA (RFC 2308 §2), empty non-terminals (RFC 8020), CNAME chains and loops (RFC 1034
// §3.6.2), TTLs and negative TTLs (RFC 2181 §5.2, RFC 2308 §5), CNAME-and-other-data errors.
#include <gtest/gtest.h>

#include <string>

#include "dns/names.hpp"
#include "dns/zone_file_resolver.hpp"
#include "test_support.hpp"

namespace hikyaku::dns {
namespace {

using test::sorted_strings;

const std::string kTestdata = std::string(HIKYAKU_SOURCE_DIR) + "/tests/unit/dns/testdata/";

ZoneFileResolver load_testdata() {
  auto r = ZoneFileResolver::load({kTestdata + "example.test.zone", kTestdata + "2.0.192.in-addr.arpa.zone",
                                   kTestdata + "8.b.d.0.1.0.0.2.ip6.arpa.zone"});
  if (!r) {
    for (const auto& e : r.error()) ADD_FAILURE() << e.text();
    return ZoneFileResolver(Zone{});
  }
  return std::move(*r);
}

ZoneFileResolver from_text(std::string_view text) {
  auto r = ZoneFileResolver::from_text(text, "t.zone");
  if (!r) {
    for (const auto& e : r.error()) ADD_FAILURE() << e.text();
    return ZoneFileResolver(Zone{});
  }
  return std::move(*r);
}

class ZoneAnswers : public ::testing::Test {
 protected:
  ZoneFileResolver zone_ = load_testdata();
};

TEST_F(ZoneAnswers, MxWithTwoPreferences) {
  const auto a = zone_.lookup("example.test", RecordType::mx);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"10 mx1.example.test", "20 mx2.example.test"}));
  EXPECT_EQ(a.ttl, 3600u);
  EXPECT_EQ(a.canonical_name, "example.test");
  EXPECT_TRUE(a.cname_chain.empty());
}

TEST_F(ZoneAnswers, AddressesAndTheSmallestTtl) {
  const auto a = zone_.lookup("MX1.Example.Test.", RecordType::a);
  ASSERT_EQ(a.status, DnsStatus::ok);
  EXPECT_EQ(a.name, "mx1.example.test");
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"192.0.2.10"}));
  EXPECT_EQ(a.ttl, 600u);
  const auto aaaa = zone_.lookup("mx1.example.test", RecordType::aaaa);
  ASSERT_EQ(aaaa.status, DnsStatus::ok);
  EXPECT_EQ(sorted_strings(aaaa), (std::vector<std::string>{"2001:db8::10"}));
}

TEST_F(ZoneAnswers, TxtStringsJoinedPerRecord) {
  const auto spf = zone_.lookup("example.test", RecordType::txt);
  ASSERT_EQ(spf.status, DnsStatus::ok);
  EXPECT_EQ(spf.texts, (std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"}));
  const auto two = zone_.lookup("txt2.example.test", RecordType::txt);
  EXPECT_EQ(sorted_strings(two), (std::vector<std::string>{"first record", "second \"quoted\" record"}));
}

TEST_F(ZoneAnswers, PtrForIpv4AndIpv6Lowercased) {
  const auto v4 = zone_.lookup(*reverse_name("192.0.2.20"), RecordType::ptr);
  ASSERT_EQ(v4.status, DnsStatus::ok);
  EXPECT_EQ(v4.names, (std::vector<std::string>{"mx2.example.test"}));
  const auto v6 = zone_.lookup(*reverse_name("2001:db8::10"), RecordType::ptr);
  ASSERT_EQ(v6.status, DnsStatus::ok);
  EXPECT_EQ(v6.names, (std::vector<std::string>{"mx1.example.test"}));
}

TEST_F(ZoneAnswers, CnameChainIsFollowedWithTheSmallestTtl) {
  const auto a = zone_.lookup("alias2.example.test", RecordType::a);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(a.cname_chain, (std::vector<std::string>{"www.example.test", "mx1.example.test"}));
  EXPECT_EQ(a.canonical_name, "mx1.example.test");
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"192.0.2.10"}));
  EXPECT_EQ(a.ttl, 120u);  // www's CNAME TTL is the smallest in the chain
}

TEST_F(ZoneAnswers, CnameQueryIsNotFollowed) {
  const auto a = zone_.lookup("alias2.example.test", RecordType::cname);
  ASSERT_EQ(a.status, DnsStatus::ok);
  EXPECT_EQ(a.names, (std::vector<std::string>{"www.example.test"}));
  EXPECT_TRUE(a.cname_chain.empty());
  EXPECT_EQ(zone_.lookup("mx1.example.test", RecordType::cname).status, DnsStatus::nodata);
}

TEST_F(ZoneAnswers, NodataForAnExistingNameWithOtherTypes) {
  const auto a = zone_.lookup("onlya.example.test", RecordType::aaaa);
  EXPECT_EQ(a.status, DnsStatus::nodata);
  EXPECT_EQ(a.ttl, 300u);  // min(SOA TTL 3600, MINIMUM 300)
  EXPECT_EQ(a.record_count(), 0u);
  EXPECT_EQ(zone_.lookup("onlya.example.test", RecordType::mx).status, DnsStatus::nodata);
}

TEST_F(ZoneAnswers, EmptyNonTerminalIsNodata) {
  EXPECT_EQ(zone_.lookup("b.ent.example.test", RecordType::a).status, DnsStatus::nodata);
  EXPECT_EQ(zone_.lookup("ent.example.test", RecordType::a).status, DnsStatus::nodata);
  EXPECT_EQ(zone_.lookup("c.b.ent.example.test", RecordType::a).status, DnsStatus::ok);
  EXPECT_EQ(zone_.lookup("x.b.ent.example.test", RecordType::a).status, DnsStatus::nxdomain);
}

TEST_F(ZoneAnswers, NxdomainWithNegativeTtl) {
  const auto a = zone_.lookup("nope.example.test", RecordType::a);
  EXPECT_EQ(a.status, DnsStatus::nxdomain);
  EXPECT_EQ(a.ttl, 300u);
  EXPECT_TRUE(a.permanent_failure());
  // Outside every loaded zone there is nothing either, and no SOA to give a TTL.
  const auto b = zone_.lookup("mail.example.org", RecordType::mx);
  EXPECT_EQ(b.status, DnsStatus::nxdomain);
  EXPECT_EQ(b.ttl, 0u);
}

TEST_F(ZoneAnswers, DanglingCnameIsNxdomainWithTheChain) {
  const auto a = zone_.lookup("dangling.example.test", RecordType::a);
  EXPECT_EQ(a.status, DnsStatus::nxdomain);
  EXPECT_EQ(a.cname_chain, (std::vector<std::string>{"nowhere.example.test"}));
  EXPECT_EQ(a.canonical_name, "nowhere.example.test");
}

TEST_F(ZoneAnswers, InvalidNameIsNxdomainWithDetail) {
  const auto a = zone_.lookup("a..example.test", RecordType::a);
  EXPECT_EQ(a.status, DnsStatus::nxdomain);
  EXPECT_FALSE(a.detail.empty());
}

TEST_F(ZoneAnswers, QueryThroughTheResolverInterface) {
  asio::io_context io;
  Resolver& resolver = zone_;
  const auto a = test::query(io, resolver, "www.example.test", RecordType::aaaa);
  ASSERT_EQ(a.status, DnsStatus::ok);
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"2001:db8::10"}));
}

TEST(ZoneLoops, CnameLoopIsServfail) {
  const auto zone = from_text(
      "$ORIGIN loop.test.\n$TTL 60\n"
      "a CNAME b\n"
      "b CNAME c\n"
      "c CNAME a\n"
      "self CNAME self\n");
  const auto a = zone.lookup("a.loop.test", RecordType::a);
  EXPECT_EQ(a.status, DnsStatus::servfail);
  EXPECT_TRUE(a.temporary_failure());
  EXPECT_NE(a.detail.find("CNAME loop"), std::string::npos) << a.detail;
  EXPECT_EQ(zone.lookup("self.loop.test", RecordType::txt).status, DnsStatus::servfail);
  // Asking for the CNAME itself is fine.
  EXPECT_EQ(zone.lookup("a.loop.test", RecordType::cname).status, DnsStatus::ok);
}

TEST(ZoneLoops, LongChainIsCutAt16) {
  std::string text = "$ORIGIN chain.test.\n$TTL 60\n";
  for (int i = 0; i < 15; ++i) text += "n" + std::to_string(i) + " CNAME n" + std::to_string(i + 1) + "\n";
  text += "n15 A 192.0.2.1\n";
  const auto zone = from_text(text);
  const auto fifteen = zone.lookup("n0.chain.test", RecordType::a);  // 15 CNAMEs: allowed
  EXPECT_EQ(fifteen.status, DnsStatus::ok) << describe(fifteen);
  EXPECT_EQ(fifteen.cname_chain.size(), 15u);

  std::string longer = "$ORIGIN chain.test.\n$TTL 60\n";
  for (int i = 0; i < 16; ++i) longer += "n" + std::to_string(i) + " CNAME n" + std::to_string(i + 1) + "\n";
  longer += "n16 A 192.0.2.1\n";
  const auto zone2 = from_text(longer);
  EXPECT_EQ(zone2.lookup("n0.chain.test", RecordType::a).status, DnsStatus::servfail);
  EXPECT_EQ(zone2.lookup("n1.chain.test", RecordType::a).status, DnsStatus::ok);
}

TEST(ZoneBuild, CnameAndOtherDataIsRefusedWithLines) {
  auto r = ZoneFileResolver::from_text(
      "$ORIGIN x.test.\n$TTL 60\n"
      "www A 192.0.2.1\n"
      "www CNAME other\n"       // line 4
      "two CNAME a\n"
      "two CNAME b\n",          // line 6
      "t.zone");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 2u);
  EXPECT_EQ(r.error()[0].text().rfind("t.zone:4: CNAME and other data at www.x.test", 0), 0u)
      << r.error()[0].text();
  EXPECT_EQ(r.error()[1].text().rfind("t.zone:6: more than one CNAME at two.x.test", 0), 0u)
      << r.error()[1].text();
}

TEST(ZoneBuild, DuplicateRecordsAreKeptOnce) {
  const auto zone = from_text("$ORIGIN x.test.\n$TTL 60\na A 192.0.2.1\na 30 A 192.0.2.1\na A 192.0.2.2\n");
  const auto a = zone.lookup("a.x.test", RecordType::a);
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(zone.zone().record_count(), 2u);
}

TEST(ZoneBuild, SkippedTypesMakeTheNameExist) {
  const auto zone = from_text("$ORIGIN x.test.\n$TTL 60\n_sip._tcp SRV 10 5 5060 sip\n");
  EXPECT_EQ(zone.lookup("_sip._tcp.x.test", RecordType::a).status, DnsStatus::nodata);
  EXPECT_EQ(zone.lookup("_tcp.x.test", RecordType::a).status, DnsStatus::nodata);  // ENT
}

TEST(ZoneBuild, NegativeTtlFromTheClosestSoa) {
  const auto zone = from_text(
      "$TTL 600\n"
      "x.test. SOA ns.x.test. h.x.test. 1 2 3 4 500\n"
      "sub.x.test. 100 SOA ns.x.test. h.x.test. 1 2 3 4 500\n"
      "a.sub.x.test. A 192.0.2.1\n");
  EXPECT_EQ(zone.lookup("none.x.test", RecordType::a).ttl, 500u);       // min(600, 500)
  EXPECT_EQ(zone.lookup("none.sub.x.test", RecordType::a).ttl, 100u);   // min(100, 500)
  EXPECT_EQ(zone.lookup("a.sub.x.test", RecordType::mx).ttl, 100u);
}

TEST(ZoneBuild, NullMx) {
  const auto zone = from_text("$ORIGIN nomail.test.\n$TTL 60\n@ MX 0 .\n");
  const auto a = zone.lookup("nomail.test", RecordType::mx);
  EXPECT_TRUE(a.is_null_mx()) << describe(a);
}

TEST(ZoneBuild, LoadReportsErrorsOfEveryFile) {
  auto r = ZoneFileResolver::load({"/nonexistent/a.zone", kTestdata + "example.test.zone", "/nonexistent/b.zone"});
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 2u);
  EXPECT_EQ(r.error()[0].file, "/nonexistent/a.zone");
  EXPECT_EQ(r.error()[1].file, "/nonexistent/b.zone");
}

}  // namespace
}  // namespace hikyaku::dns
