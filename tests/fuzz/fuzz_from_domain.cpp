// Fuzz target for auth/from_domain: RFC 5322 §3.4 address lists as RFC 7489 §6.6.1 reads the
// From field. Whatever the input, a domain returned is lower-case LDH labels within 253 octets,
// and feeding it back as "x@<domain>" gives the same domain. Any broken invariant aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/from_domain.hpp"
#include "core/address.hpp"

namespace {

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_from_domain invariant failed: %s (input %zu octets)\n", what,
               input.size());
  std::abort();
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto d = hikyaku::auth::from_domain_of_value(in);
  if (d) {
    check(hikyaku::core::is_lowercase_hostname(*d), "domain not lower-case LDH labels", in);
    const auto again = hikyaku::auth::from_domain_of_value("x@" + *d);
    check(again.has_value() && *again == *d, "x@<domain> does not give the domain back", in);
    const auto angle = hikyaku::auth::from_domain_of_value("Name <x@" + *d + ">");
    check(angle.has_value() && *angle == *d, "name-addr form differs", in);
  } else {
    check(hikyaku::auth::describe(d.error()) != nullptr, "no description", in);
  }
  // The same bytes as a whole message's From field (and a duplicate field).
  const std::string one = "From: " + std::string(in) + "\r\n\r\nbody\r\n";
  const auto m = hikyaku::auth::from_domain(hikyaku::core::Message(one));
  (void)m;
  const auto two = hikyaku::auth::from_domain(
      hikyaku::core::Message("From: a@example.com\r\n" + one));
  check(!two.has_value(), "two From fields accepted", in);
  return 0;
}
