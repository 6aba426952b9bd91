// dns-records and postmaster output (pure functions of the configuration and our side): every
// line a zone-file record with a fully qualified owner and a comment, DNS-only marks where a CDN
// could proxy, long key records split into 255-octet strings (RFC 1035 §3.3.14).
#include <gtest/gtest.h>

#include "app/dns_records_command.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::app {
namespace {

doctor::OurSide ours() {
  doctor::OurSide o;
  o.inbound_mx = {{10, "mx1.fwd.test"}, {20, "mx2.fwd.test"}};
  o.spf_include = "fwd.test";
  o.egress = {"192.0.2.40", "2001:db8::40"};
  o.egress_prefixes = {"192.0.2.40/32", "2001:db8::40/128"};
  o.helo_name = "out.fwd.test";
  o.srs_domain = "fwd.test";
  o.keys = {{"fwd.test", "k1", "v=DKIM1; k=rsa; p=" + std::string(400, 'A'), false},
            {"fwd.test", "arc1", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", true}};
  return o;
}

TEST(DnsRecords, EveryLineIsAZoneFileRecordThatLoads) {
  config::Config c;
  c.server.hostname = "mx1.fwd.test";
  c.doctor.dmarc_rua = "dmarc@fwd.test";
  const std::string text = dns_records_text(c, ours(), "served.test");
  EXPECT_NE(text.find("served.test. 3600 IN MX 10 mx1.fwd.test."), std::string::npos) << text;
  EXPECT_NE(text.find("served.test. 3600 IN TXT \"v=spf1 include:fwd.test ~all\""), std::string::npos);
  EXPECT_NE(text.find("_dmarc.served.test. 3600 IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc@fwd.test\""), std::string::npos);
  EXPECT_NE(text.find("served.test._report._dmarc.fwd.test. 3600 IN TXT \"v=DMARC1\""), std::string::npos);
  EXPECT_NE(text.find("fwd.test. 3600 IN TXT \"v=spf1 ip4:192.0.2.40/32 ip6:2001:db8::40/128 -all\""), std::string::npos);
  EXPECT_NE(text.find("40.2.0.192.in-addr.arpa. 3600 IN PTR out.fwd.test."), std::string::npos);
  EXPECT_NE(text.find("out.fwd.test. 3600 IN AAAA 2001:db8::40"), std::string::npos);
  size_t records = 0;
  std::string line;
  for (size_t pos = 0; pos < text.size();) {
    const size_t nl = text.find('\n', pos);
    line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] == ';') continue;
    ++records;
    EXPECT_NE(line.find(". "), std::string::npos) << line;  // a fully qualified owner
    EXPECT_NE(line.find("  ; "), std::string::npos) << line;  // a comment
    if (line.find(" IN A ") != std::string::npos || line.find(" IN AAAA ") != std::string::npos) {
      EXPECT_NE(line.find("DNS-only, do not proxy"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(records, 14u);
  // The whole output loads as a master file (the key record split into strings of <= 255).
  auto zone = dns::ZoneFileResolver::from_text(text);
  ASSERT_TRUE(zone);
  const auto key = zone->lookup("k1._domainkey.fwd.test", dns::RecordType::txt);
  ASSERT_EQ(key.texts.size(), 1u);
  EXPECT_EQ(key.texts[0], ours().keys[0].record);
}

TEST(Postmaster, ListsWhatToAllowlist) {
  config::Config c;
  c.server.hostname = "mx1.fwd.test";
  const std::string text = postmaster_text(c, ours());
  EXPECT_NE(text.find("egress prefixes: 192.0.2.40/32 2001:db8::40/128\n"), std::string::npos) << text;
  EXPECT_NE(text.find("HELO names: out.fwd.test\n"), std::string::npos);
  EXPECT_NE(text.find("DKIM selector: k1._domainkey.fwd.test (d=fwd.test, s=k1, k=rsa)\n"), std::string::npos);
  EXPECT_NE(text.find("ARC selector: arc1._domainkey.fwd.test (d=fwd.test, s=arc1, k=ed25519)\n"), std::string::npos);
  EXPECT_NE(text.find("SRS domain: fwd.test"), std::string::npos);
}

}  // namespace
}  // namespace hikyaku::app
