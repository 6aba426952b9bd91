// Fuzz target for the outbound TLS policy texts that come from anyone's DNS or web server: the
// MTA-STS TXT record and policy file (RFC 8461 §3.1, §3.2) and the TLS-RPT record (RFC 8460 §3).
// Any bytes must give a value or an error, never a crash; what parses must keep its invariants.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "relay/mta_sts_policy.hpp"
#include "relay/tls_rpt_record.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_tls_policy_records invariant failed: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hikyaku::relay;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto record = parse_mta_sts_record(in)) {
    check(!record->id.empty() && record->id.size() <= 32, "id length outside 1..32");
  }
  if (auto policy = parse_mta_sts_policy(in)) {
    check(policy->max_age <= kMtaStsMaxAgeLimit, "max_age above the limit");
    check(policy->mode == MtaStsMode::none || !policy->mx.empty(), "enforcing policy without mx");
    for (const auto& mx : policy->mx) {
      check(!mx.empty() && mx.back() != '.', "mx pattern empty or absolute");
      check(policy_allows_mx(*policy, mx.substr(0, 2) == "*." ? "a" + mx.substr(1) : mx),
            "a policy does not allow its own mx");
    }
  }
  if (auto rpt = parse_tls_rpt_record(in)) {
    check(!rpt->rua.empty(), "a TLS-RPT record without destination");
  }
  std::string why;
  (void)select_mta_sts_record({std::string(in)}, &why);
  (void)select_tls_rpt_record({std::string(in), std::string(in)}, &why);
  return 0;
}
