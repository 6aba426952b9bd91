// Fuzz target for the record parsers `hikyaku doctor` applies to DNS data from anyone: its SPF
// record reader (doctor/spf_record, RFC 7208 §12), the DMARC record parser it shares with the
// relay (auth/dmarc_record, RFC 9989 §4.8; fuzzed on its own by fuzz_dmarc_record) and the
// proxy-ranges file reader. Any bytes must give a value or an error, never a crash; a parsed SPF
// record's terms must lie where it says.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/dmarc_record.hpp"
#include "doctor/proxy_ranges.hpp"
#include "doctor/spf_record.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_doctor_records invariant failed: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto spf = hikyaku::doctor::parse_spf_record(in)) {
    check(hikyaku::doctor::is_spf_record(in), "parsed a record that is not an SPF record");
    size_t last = 0;
    for (const auto& term : spf->terms) {
      check(term.column > last && term.column + term.text.size() - 1 <= in.size(), "term outside the record");
      check(in.substr(term.column - 1, term.text.size()) == term.text, "term text is not at its column");
      last = term.column;
    }
  } else {
    check(spf.error().column >= 1 && spf.error().column <= in.size() + 1, "error column outside the record");
  }
  if (auto dmarc = hikyaku::auth::parse_dmarc_record(in)) {
    check(hikyaku::auth::is_dmarc_record(in), "parsed a DMARC record without v=DMARC1");
    check(dmarc->policy_state != hikyaku::auth::PolicyState::defaulted || !dmarc->rua.empty(),
          "p defaulted without rua");
  }
  (void)hikyaku::doctor::ProxyRanges::parse(in, "fuzz");
  return 0;
}
