// Fuzz target for auth/authentication_results: the RFC 8601 §2.2 authserv-id parser used to
// remove forged Authentication-Results (§5), and rendering with hostile values: no CR or LF
// outside CRLF TAB folding, lines within 998 octets, and the rendered authserv-id parses back.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/authentication_results.hpp"

namespace {

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_authserv_id invariant failed: %s (input %zu octets)\n", what,
               input.size());
  std::abort();
}

void check_field(const std::string& f, std::string_view in) {
  check(f.size() >= 2 && f.compare(f.size() - 2, 2, "\r\n") == 0, "field not ending in CRLF", in);
  size_t start = 0;
  while (start < f.size()) {
    const size_t end = f.find("\r\n", start);
    check(end != std::string::npos, "line without CRLF", in);
    const std::string_view line(f.data() + start, end - start);
    check(line.find_first_of("\r\n") == std::string_view::npos, "bare CR or LF", in);
    check(line.size() <= 998, "line over 998 octets", in);
    if (start > 0) check(!line.empty() && line[0] == '\t', "continuation without TAB", in);
    start = end + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hikyaku::auth;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto id = parse_authserv_id(in);
  if (id) {
    check(!id->empty() || in.find('"') != std::string_view::npos, "empty token", in);
  }
  // Render with the input as every free-text value.
  const std::string s(in);
  AuthResults r;
  r.spf.mail_from = {SpfResult::fail, s, s, s};
  DkimSignatureOutcome sig;
  sig.result = DkimResult::fail;
  sig.domain = s;
  sig.selector = s;
  sig.b_prefix = s;
  sig.reason = s;
  r.dkim.push_back(sig);
  r.arc.cv = ArcResult::Cv::fail;
  r.arc.reason = s;
  r.dmarc.result = DmarcResult::fail;
  r.dmarc.from_domain = s;
  const std::string field = render_authentication_results(r, s, {s, s});
  check_field(field, in);
  const std::string helo_only = render_authentication_results(r, s, {"", s});
  check_field(helo_only, in);
  // Our own field is recognised and removed, whatever the id; nothing else is touched.
  const std::string value = field.substr(field.find(':') + 1);
  const auto back = parse_authserv_id(value);
  check(back.has_value(), "rendered authserv-id does not parse", in);
  const std::string rest = "X-A: 1\r\n\r\nbody\r\n";
  const hikyaku::core::Message m(field + rest);
  check(remove_authentication_results(m, *back) == rest, "rendered field not removed", in);
  // And a field carrying the raw input is removed only when its id is what the parser said.
  const hikyaku::core::Message raw("Authentication-Results:" + s + "\r\nX-B: 2\r\n\r\n");
  // (a parsed authserv-id never holds CR or LF, so this id matches no field)
  const std::string kept = remove_authentication_results(raw, "never\r\n");
  check(kept == raw.raw(), "a field with another id was touched", in);
  return 0;
}
