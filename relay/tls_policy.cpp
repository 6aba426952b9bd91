// The outbound TLS decision: DANE first (RFC 8461 §2: DANE wins), then MTA-STS (RFC 8461
// §4.1-4.2, §5), then opportunistic STARTTLS (RFC 7435 §3). A policy that cannot be met is a
// deferral, never a plaintext delivery.
#include "relay/tls_policy.hpp"

#include <algorithm>

namespace hikyaku::relay {
namespace {

constexpr std::pair<TlsPolicyOverride, std::string_view> kOverrideNames[] = {
    {TlsPolicyOverride::automatic, "auto"}, {TlsPolicyOverride::dane, "dane"},
    {TlsPolicyOverride::mta_sts, "mta-sts"}, {TlsPolicyOverride::verify, "verify"},
    {TlsPolicyOverride::may, "may"},         {TlsPolicyOverride::none, "none"},
};

// Every host at one level (the overrides that ignore published policies).
DomainTlsPlan uniform(const DomainTlsFacts& facts, TlsLevel level, std::string why) {
  DomainTlsPlan plan;
  for (const auto& h : facts.hosts) {
    HostTlsPlan host;
    host.host = h.host;
    host.level = level;
    host.why = why;
    plan.hosts.push_back(std::move(host));
  }
  plan.why = std::move(why);
  return plan;
}

bool any_tlsa_records(const DomainTlsFacts& facts) {
  for (const auto& h : facts.hosts) {
    if (h.tlsa_state == TlsaState::secure_records) return true;
  }
  return false;
}

// RFC 7672 §2.2: a host whose TLSA lookup failed must not be used, whatever else applies,
// since it may have DANE records an attacker is hiding.
// RFC 8460 §4.3.2.1 dnssec-invalid: no valid records came back from the resolver.
void mark_failed_lookups(DomainTlsPlan& plan, const DomainTlsFacts& facts) {
  for (size_t i = 0; i < facts.hosts.size(); ++i) {
    if (facts.hosts[i].tlsa_state != TlsaState::failed) continue;
    plan.hosts[i].use = false;
    plan.hosts[i].why = "TLSA lookup failed (" + facts.hosts[i].detail + "): not used (RFC 7672 §2.2)";
    plan.policy_failures.push_back(
        {PolicyType::tlsa, "dnssec-invalid", facts.hosts[i].host, facts.hosts[i].detail});
  }
}

// The RFC 8460 §4.3.2.2 result type an MTA-STS problem starts with ("sts-policy-fetch-error:
// HTTP 404"); a problem without one (the TXT record itself) is a fetch error.
std::string sts_result_type(const std::string& problem) {
  const auto colon = problem.find(':');
  const std::string head = problem.substr(0, colon);
  if (head == "sts-policy-fetch-error" || head == "sts-policy-invalid" || head == "sts-webpki-invalid") {
    return head;
  }
  return "sts-policy-fetch-error";
}

// DANE for a domain with TLSA records behind a secure MX RRset (RFC 7672 §2.2): hosts with
// usable records are authenticated by them, hosts with only unusable ones get mandatory
// unauthenticated TLS, and hosts without records are not used, so that an MX without DANE is
// never a way around the domain's DANE.
DomainTlsPlan plan_dane(const DomainTlsFacts& facts) {
  DomainTlsPlan plan = uniform(facts, TlsLevel::dane, "");
  plan.policy_type = PolicyType::tlsa;
  for (size_t i = 0; i < facts.hosts.size(); ++i) {
    const auto& f = facts.hosts[i];
    auto& h = plan.hosts[i];
    switch (f.tlsa_state) {
      case TlsaState::secure_records:
        plan.mx_patterns.push_back(f.host);
        for (const auto& r : f.tlsa) {
          const std::string text = dns::to_string(r);
          if (std::find(plan.policy_strings.begin(), plan.policy_strings.end(), text) ==
              plan.policy_strings.end()) {
            plan.policy_strings.push_back(text);
          }
        }
        for (const auto& r : f.tlsa) {
          if (is_usable_tlsa(r)) h.tlsa.push_back(r);
        }
        if (h.tlsa.empty()) {
          h.level = TlsLevel::encrypt;
          h.why = "DANE: TLSA records, none usable: TLS required, not authenticated (RFC 7672 §2.2)";
        } else {
          h.why = "DANE: " + std::to_string(h.tlsa.size()) + " usable TLSA record(s)";
        }
        break;
      case TlsaState::failed:
        h.use = false;
        h.why = "TLSA lookup failed (" + f.detail + "): not used (RFC 7672 §2.2)";
        plan.policy_failures.push_back({PolicyType::tlsa, "dnssec-invalid", f.host, f.detail});
        break;
      default:
        h.use = false;
        h.why = "no TLSA records while the domain publishes DANE: not used";
        break;
    }
  }
  plan.why = "DANE: the MX records are DNSSEC-signed and TLSA records are published";
  return plan;
}

DomainTlsPlan plan_mta_sts(const DomainTlsFacts& facts, bool enforce) {
  const MtaStsPolicy& policy = *facts.mta_sts;
  const bool testing = !enforce;
  DomainTlsPlan plan = uniform(facts, TlsLevel::verify, "");
  plan.policy_type = PolicyType::sts;
  plan.policy_strings = policy.lines;
  plan.mx_patterns = policy.mx;
  for (auto& h : plan.hosts) {
    if (!policy_allows_mx(policy, h.host)) {
      if (testing) {
        h.level = TlsLevel::may;
        h.report_only = true;
        h.why = "MTA-STS testing: not in the policy's mx list (reported, delivered)";
      } else {
        h.use = false;
        h.why = "MTA-STS enforce: not in the policy's mx list: not used (RFC 8461 §4.1)";
      }
      continue;
    }
    h.report_only = testing;
    h.why = testing ? "MTA-STS testing: certificate checked, failures reported, delivered anyway"
                    : "MTA-STS enforce: TLS with a certificate valid for this host (RFC 8461 §4.2)";
  }
  plan.why = std::string("MTA-STS policy in ") + (testing ? "testing" : "enforce") + " mode";
  return plan;
}

void defer_if_no_host(DomainTlsPlan& plan) {
  for (const auto& h : plan.hosts) {
    if (h.use) return;
  }
  if (!plan.defer) plan.defer = plan.hosts.empty() ? "no MX host" : "no MX host may be used: " + plan.why;
}

}  // namespace

std::string_view to_string(TlsPolicyOverride o) {
  for (const auto& [value, name] : kOverrideNames) {
    if (value == o) return name;
  }
  return "auto";
}

std::optional<TlsPolicyOverride> parse_tls_policy_override(std::string_view text) {
  for (const auto& [value, name] : kOverrideNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(TlsLevel level) {
  switch (level) {
    case TlsLevel::none: return "none";
    case TlsLevel::may: return "may";
    case TlsLevel::encrypt: return "encrypt";
    case TlsLevel::verify: return "verify";
    case TlsLevel::dane: return "dane";
  }
  return "may";
}

std::string_view to_string(PolicyType type) {
  switch (type) {
    case PolicyType::tlsa: return "tlsa";
    case PolicyType::sts: return "sts";
    case PolicyType::no_policy_found: return "no-policy-found";
  }
  return "no-policy-found";
}

bool is_usable_tlsa(const dns::TlsaRecord& r) {
  if (r.usage != 2 && r.usage != 3) return false;  // RFC 7672 §3.1.3: PKIX-TA/EE unusable
  if (r.selector > 1) return false;
  switch (r.matching_type) {
    case 0: return !r.data.empty();       // the whole certificate or SPKI
    case 1: return r.data.size() == 32;   // SHA2-256
    case 2: return r.data.size() == 64;   // SHA2-512
    default: return false;
  }
}

DomainTlsPlan plan_tls(TlsPolicyOverride override, const DomainTlsFacts& facts) {
  DomainTlsPlan plan;
  switch (override) {
    case TlsPolicyOverride::none:
      plan = uniform(facts, TlsLevel::none, "tls_policy = \"none\" for this domain: no STARTTLS");
      break;
    case TlsPolicyOverride::may:
      plan = uniform(facts, TlsLevel::may, "tls_policy = \"may\" for this domain: opportunistic TLS");
      break;
    case TlsPolicyOverride::verify:
      plan = uniform(facts, TlsLevel::verify,
                     "tls_policy = \"verify\" for this domain: a certificate valid for the MX host");
      break;
    case TlsPolicyOverride::dane:
      if (facts.mx_secure && any_tlsa_records(facts)) {
        plan = plan_dane(facts);
      } else {
        plan = uniform(facts, TlsLevel::dane, "");
        for (auto& h : plan.hosts) h.use = false;
        plan.policy_type = PolicyType::tlsa;
        plan.why = facts.mx_secure ? "tls_policy = \"dane\" but no TLSA records are published"
                                   : "tls_policy = \"dane\" but the MX records are not DNSSEC-signed";
        plan.defer = plan.why;
        plan.policy_failures.push_back({PolicyType::tlsa, "dane-required", "", plan.why});
      }
      break;
    case TlsPolicyOverride::mta_sts:
      if (facts.mta_sts && facts.mta_sts->mode != MtaStsMode::none) {
        plan = plan_mta_sts(facts, /*enforce=*/true);
        plan.why += " (enforced: tls_policy = \"mta-sts\")";
      } else {
        plan = uniform(facts, TlsLevel::verify, "");
        for (auto& h : plan.hosts) h.use = false;
        plan.policy_type = PolicyType::sts;
        plan.why = "tls_policy = \"mta-sts\" but no MTA-STS policy is in force" +
                   (facts.mta_sts_problem.empty() ? std::string() : ": " + facts.mta_sts_problem);
        plan.defer = plan.why;
        plan.policy_failures.push_back({PolicyType::sts, sts_result_type(facts.mta_sts_problem), "",
                                        facts.mta_sts_problem.empty() ? plan.why : facts.mta_sts_problem});
      }
      break;
    case TlsPolicyOverride::automatic:
      if (facts.mx_secure && any_tlsa_records(facts)) {
        plan = plan_dane(facts);  // RFC 8461 §2: DANE wins over MTA-STS
      } else if (facts.mta_sts && facts.mta_sts->mode != MtaStsMode::none) {
        plan = plan_mta_sts(facts, facts.mta_sts->mode == MtaStsMode::enforce);
        mark_failed_lookups(plan, facts);
      } else {
        plan = uniform(facts, TlsLevel::may, "no DANE or MTA-STS policy: opportunistic TLS");
        if (!facts.mta_sts_problem.empty()) {
          plan.why += " (MTA-STS: " + facts.mta_sts_problem + ")";
          // RFC 8460 §4.3.2.2: the domain has an MTA-STS record but its policy could not be had.
          plan.policy_failures.push_back(
              {PolicyType::sts, sts_result_type(facts.mta_sts_problem), "", facts.mta_sts_problem});
        }
        mark_failed_lookups(plan, facts);
      }
      break;
  }
  defer_if_no_host(plan);
  return plan;
}

}  // namespace hikyaku::relay
