// TLS facts for a destination domain: TLSA lookups (RFC 7672 §2.2: only behind a secure MX
// RRset, or for a domain without MX its own name behind a secure denial and secure address
// records, §2.2.1; a bogus or failed lookup is remembered, not treated as absence) and the
// MTA-STS policy (RFC 8461 §5) when DANE does not decide.
#include "relay/tls_facts.hpp"

namespace hikyaku::relay {

MxHostFacts tlsa_facts(const std::string& host, const dns::DnsAnswer& answer) {
  MxHostFacts f;
  f.host = host;
  if (answer.temporary_failure()) {
    // Bogus answers arrive as servfail with the validator's reason (dns/unbound_resolver).
    f.tlsa_state = TlsaState::failed;
    f.detail = answer.detail.empty() ? std::string(dns::to_string(answer.status)) : answer.detail;
  } else if (!answer.secure) {
    f.tlsa_state = TlsaState::insecure;
  } else if (answer.ok() && !answer.tlsa.empty()) {
    f.tlsa_state = TlsaState::secure_records;
    f.tlsa = answer.tlsa;
  } else {
    f.tlsa_state = TlsaState::secure_none;
  }
  return f;
}

asio::awaitable<DomainTlsFacts> gather_tls_facts(dns::Resolver& resolver, std::string domain,
                                                 bool mx_secure, bool implicit_mx,
                                                 std::vector<std::string> hosts,
                                                 TlsPolicyOverride override, MtaStsSource* sts) {
  DomainTlsFacts facts;
  facts.domain = domain;
  facts.mx_secure = mx_secure;
  facts.implicit_mx = implicit_mx;
  const bool fixed = override == TlsPolicyOverride::none || override == TlsPolicyOverride::may ||
                     override == TlsPolicyOverride::verify;
  const bool dane_possible = mx_secure && !fixed && override != TlsPolicyOverride::mta_sts;
  bool any_records = false;
  for (const auto& host : hosts) {
    if (!dane_possible) {
      facts.hosts.push_back(MxHostFacts{host, TlsaState::not_asked, {}, {}});
      continue;
    }
    // RFC 7672 §2.2.2: TLSA records are only looked up for a host whose address records are
    // secure (records or a denial); the relay asks for the same answers next (cached).
    const dns::DnsAnswer a = co_await resolver.query(host, dns::RecordType::a);
    const dns::DnsAnswer aaaa = co_await resolver.query(host, dns::RecordType::aaaa);
    if (!a.secure || !aaaa.secure) {
      facts.hosts.push_back(MxHostFacts{host, TlsaState::insecure, {}, "address records not DNSSEC-signed"});
      continue;
    }
    // RFC 7672 §2.2.1-2.2.2 and RFC 6698 §3: the TLSA base domain is the MX host name; for an
    // implicit MX, the domain itself (its address records found secure just above).
    const dns::DnsAnswer answer = co_await resolver.query("_25._tcp." + host, dns::RecordType::tlsa);
    facts.hosts.push_back(tlsa_facts(host, answer));
    any_records = any_records || facts.hosts.back().tlsa_state == TlsaState::secure_records;
  }
  const bool sts_wanted = override == TlsPolicyOverride::mta_sts ||
                          (override == TlsPolicyOverride::automatic && !any_records);
  if (sts_wanted && sts != nullptr) {
    auto result = co_await sts->policy_for(domain);
    facts.mta_sts = std::move(result.policy);
    facts.mta_sts_problem = std::move(result.problem);
  }
  co_return facts;
}

}  // namespace hikyaku::relay
