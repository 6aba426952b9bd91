// Fuzz target for auth/dmarc_record (RFC 9989 §4.7, §4.8): any bytes give a record or an error,
// never a crash; a parsed record starts with v=DMARC1, a defaulted policy has a valid rua=, an
// unusable or defaulted one keeps no sp/np, every note is printable, every kept URI has a
// scheme; and the DNS Tree Walk targets of the input taken as a name stay within eight (§4.10).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/dmarc_record.hpp"
#include "auth/dmarc_tree_walk.hpp"

namespace {

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_dmarc_record invariant failed: %s (input %zu octets)\n", what, input.size());
  std::abort();
}

// No control character (notes quote record text through a filter; "§" is UTF-8 text).
bool printable(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hikyaku::auth;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (const auto r = parse_dmarc_record(in)) {
    check(is_dmarc_record(in), "parsed a record without v=DMARC1", in);
    check(r->policy_state != PolicyState::defaulted || !r->rua.empty(), "p defaulted without rua", in);
    if (r->policy_state != PolicyState::published) {
      check(r->p == DmarcPolicy::none && !r->sp && !r->np, "sp/np kept without a valid policy", in);
    }
    for (const auto& n : r->notes) check(printable(n), "a note with a control character", in);
    for (const auto* list : {&r->rua, &r->ruf}) {
      for (const auto& u : *list) check(u.find(':') != std::string::npos && printable(u), "a URI without a scheme", in);
    }
    check(r->fo == "0" || in.find(r->fo) != std::string_view::npos, "fo not as written", in);
  } else {
    check(!is_dmarc_record(in) || r.error().code == DmarcRecordError::empty, "a v=DMARC1 record refused", in);
  }
  const std::string name = normalise_domain(in);
  const auto targets = tree_walk_targets(name);
  check(targets.size() <= kTreeWalkMaxQueries, "more than eight Tree Walk queries", in);
  for (const auto& t : targets) check(is_at_or_below(name, t), "a target that is not an ancestor", in);
  return 0;
}
