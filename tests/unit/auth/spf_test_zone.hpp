// The zone the SPF evaluator and helper-pool tests share (documentation addresses only: a
// loopback client would be passed by libspf2 without a lookup), and a lookup over it.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "auth/spf_evaluator.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::auth::test {

inline constexpr const char* kSpfZone = R"(
$ORIGIN example.com.
$TTL 300
@            IN SOA ns.example.com. h.example.com. 1 60 60 60 60
@            IN TXT "v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:1::/48 include:_spf.example.net mx -all"
@            IN MX 10 mx1
mx1          IN A 192.0.2.200
mx1          IN AAAA 2001:db8:2::25
soft         IN TXT "v=spf1 ip4:192.0.2.1 ~all"
neutral      IN TXT "v=spf1 ?all"
plus         IN TXT "v=spf1 +all"
norecord     IN TXT "just some text"
broken       IN TXT "v=spf1 ip4:192.0.2.1 bogus:x -all"
twice        IN TXT "v=spf1 -all"
twice        IN TXT "v=spf1 +all"
tempinc      IN TXT "v=spf1 include:error.example.org -all"
redir        IN TXT "v=spf1 redirect=example.com"
helo         IN TXT "v=spf1 a -all"
helo         IN A 192.0.2.150
loop         IN TXT "v=spf1 include:loop.example.com -all"
voids        IN TXT "v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com ip4:192.0.2.0/24 -all"
many         IN TXT ( "v=spf1 a:l1.example.com a:l2.example.com a:l3.example.com a:l4.example.com"
                      " a:l5.example.com a:l6.example.com a:l7.example.com a:l8.example.com"
                      " a:l9.example.com a:l10.example.com a:l11.example.com -all" )
$ORIGIN example.net.
@            IN SOA ns.example.net. h.example.net. 1 60 60 60 60
_spf         IN TXT "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:3::/48 -all"
)";

inline dns::ZoneFileResolver spf_zone() {
  auto z = dns::ZoneFileResolver::from_text(kSpfZone, "spf.zone");
  if (!z) {
    ADD_FAILURE() << "zone: " << z.error().front().text();
    return dns::ZoneFileResolver(dns::Zone{});
  }
  return std::move(*z);
}

// Names under error.example.org fail temporarily (SERVFAIL), as an unreachable server would.
inline SpfLookup zone_lookup(const dns::ZoneFileResolver& zone) {
  return [&zone](const std::string& name, dns::RecordType type) {
    if (name.find("error.example.org") != std::string::npos) {
      return SpfDnsReply{SpfDnsStatus::temperror, 0, {}};
    }
    return to_spf_dns_reply(zone.lookup(name, type));
  };
}

}  // namespace hikyaku::auth::test
