// Gathering what the outbound TLS decision needs for one destination domain: the TLSA records
// of each MX host behind a DNSSEC-signed MX RRset, or of the domain itself when it has no MX
// (RFC 7672 §2.2, §2.2.1-2.2.2) and, where DANE
// does not apply, the domain's MTA-STS policy (RFC 8461 §3, §5; DANE wins, §2).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "dns/resolver.hpp"
#include "relay/tls_policy.hpp"

namespace hikyaku::relay {

// Where MTA-STS policies come from: the `_mta-sts` TXT record, the HTTPS fetch and the cache
// (relay/mta_sts_fetcher.hpp). A domain without a usable record has no policy.
class MtaStsSource {
 public:
  virtual ~MtaStsSource() = default;
  struct Result {
    std::optional<MtaStsPolicy> policy;  // in force: fetched or cached, not expired
    std::string problem;                 // a record exists but no policy could be had: why
  };
  virtual asio::awaitable<Result> policy_for(std::string domain) = 0;
};

// The TLSA RRset at _25._tcp.<host> (RFC 7672 §2.2) as a TlsaState.
MxHostFacts tlsa_facts(const std::string& host, const dns::DnsAnswer& answer);

// Looks up what `override` needs for `domain`, whose MX answer (with its DNSSEC state) and
// ordered hosts are given: TLSA for every host whose address records are secure when the MX
// RRset is secure and DANE may apply, and the MTA-STS policy when DANE does not decide and `sts`
// is given. With `implicit_mx` (no MX records, RFC 5321 §5.1) `hosts` is the domain itself and
// `mx_secure` says whether the denial of MX records validated; the domain's own address records
// must be secure too, and its TLSA records are at _25._tcp.<domain> (RFC 7672 §2.2.1).
asio::awaitable<DomainTlsFacts> gather_tls_facts(dns::Resolver& resolver, std::string domain,
                                                 bool mx_secure, bool implicit_mx,
                                                 std::vector<std::string> hosts,
                                                 TlsPolicyOverride override, MtaStsSource* sts);

}  // namespace hikyaku::relay
