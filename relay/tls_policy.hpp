// Which TLS each MX host of a destination domain must get, from what DNS and MTA-STS said:
// DANE (RFC 7672 §2.2, usable TLSA records per §3.1.3), MTA-STS (RFC 8461 §4; DANE wins, §2),
// or opportunistic TLS (RFC 7435), with the operator's per-domain override. Pure: the facts
// are gathered elsewhere; this decides, and says why.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/types.hpp"
#include "relay/mta_sts_policy.hpp"

namespace hikyaku::relay {

// [relay] tls_policy: what an operator may force for a destination domain.
enum class TlsPolicyOverride {
  automatic,  // DANE where published, else MTA-STS, else opportunistic (no override)
  dane,       // DANE required: a domain without usable TLSA records is deferred
  mta_sts,    // MTA-STS required (a testing policy is enforced); none published: deferred
  verify,     // a certificate valid for the MX host name (WebPKI) on every host
  may,        // opportunistic STARTTLS, no authentication, plaintext after a failed handshake
  none,       // never STARTTLS
};
std::string_view to_string(TlsPolicyOverride o);  // "mta-sts"
std::optional<TlsPolicyOverride> parse_tls_policy_override(std::string_view text);

// The TLSA lookup for _25._tcp.<host> (RFC 7672 §2.2).
enum class TlsaState {
  not_asked,       // the MX RRset or the host's addresses were not secure: DANE does not apply
  secure_records,  // validated TLSA records (usable or not)
  secure_none,     // validated denial (NXDOMAIN/NODATA): this host has no DANE
  insecure,        // an answer from an unsigned zone: no DANE for this host
  failed,          // bogus, SERVFAIL or timeout: the host must not be used (RFC 7672 §2.2)
};

struct MxHostFacts {
  std::string host;                      // the MX exchange, lowercase
  TlsaState tlsa_state = TlsaState::not_asked;
  std::vector<dns::TlsaRecord> tlsa;     // secure_records: every record as published
  std::string detail;                    // failed: why (for logs and reports)
};

struct DomainTlsFacts {
  std::string domain;
  bool mx_secure = false;                // the MX RRset validated (RFC 7672 §2.2.1)
  std::vector<MxHostFacts> hosts;        // in MX preference order
  std::optional<MtaStsPolicy> mta_sts;   // the policy in force (fetched or cached, not expired)
  std::string mta_sts_problem;           // a record exists but no policy could be had: why
};

// RFC 7672 §3.1.3: only DANE-TA(2) and DANE-EE(3) with selector 0/1 and matching type 0/1/2 are
// usable for SMTP; a digest must have its digest's length. PKIX-TA(0)/PKIX-EE(1) are not usable.
bool is_usable_tlsa(const dns::TlsaRecord& r);

enum class TlsLevel {
  none,     // plaintext, no STARTTLS
  may,      // STARTTLS when offered, unauthenticated; plaintext if the handshake fails
  encrypt,  // TLS required, not authenticated (DANE with only unusable records, RFC 7672 §2.2)
  verify,   // TLS required, a certificate chain to a trusted CA naming the host (RFC 8461 §4.2)
  dane,     // TLS required, authenticated by the TLSA records (RFC 7672 §3)
};
std::string_view to_string(TlsLevel level);  // "dane"

struct HostTlsPlan {
  std::string host;
  bool use = true;                    // false: this host is skipped (see why)
  TlsLevel level = TlsLevel::may;
  std::vector<dns::TlsaRecord> tlsa;  // dane: the usable records
  // MTA-STS testing: verify, and report a failure, but deliver as `may` would (RFC 8461 §5).
  bool report_only = false;
  std::string why;
};

// RFC 8460 §4.4 policy-type of the plan, for TLS reports.
enum class PolicyType { tlsa, sts, no_policy_found };
std::string_view to_string(PolicyType type);  // "no-policy-found"

// A failure found before any connection, for a TLS report (RFC 8460 §4.3): counted as one
// failed session of the policy of `type`.
struct TlsPolicyFailure {
  PolicyType type = PolicyType::no_policy_found;
  std::string result_type;  // "dnssec-invalid", "dane-required", "sts-policy-fetch-error", ...
  std::string host;         // the MX host it concerns; "" for the domain
  std::string detail;
  bool operator==(const TlsPolicyFailure&) const = default;
};

struct DomainTlsPlan {
  PolicyType policy_type = PolicyType::no_policy_found;
  // RFC 8460 §4.4 "policy" of the plan: policy-string (the TLSA records in presentation form,
  // or the MTA-STS policy's lines) and mx-host (the hosts with TLSA records, or the policy's mx
  // patterns); both empty for no-policy-found.
  std::vector<std::string> policy_strings;
  std::vector<std::string> mx_patterns;
  std::vector<TlsPolicyFailure> policy_failures;
  std::vector<HostTlsPlan> hosts;     // same order as the facts
  // No host may be used: a temporary failure, the message stays queued (never plaintext).
  std::optional<std::string> defer;
  std::string why;                    // one line: what governs this domain and why
};

DomainTlsPlan plan_tls(TlsPolicyOverride override, const DomainTlsFacts& facts);

}  // namespace hikyaku::relay
