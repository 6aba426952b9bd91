// Fuzz target for core/address: RFC 5321 §4.1.2 Path parsing under every option set,
// domain_to_ascii (IDNA 2008), and the printing round trip parse(str(a)) == a.
// Any broken invariant aborts, which libFuzzer and the sanitized replay both report.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/address.hpp"

namespace {

using hikyaku::core::Address;
using hikyaku::core::PathOptions;

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_address invariant failed: %s (input %zu octets)\n", what,
               input.size());
  std::abort();
}

bool has_non_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return true;
  }
  return false;
}

bool has_control(std::string_view s) {
  return s.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos;
}

// Lowercase LDH labels of 1-63 octets, no leading or trailing hyphen, joined by single dots.
bool hostname_ok(std::string_view d) {
  size_t label = 0;
  char prev = '.';
  for (const char c : d) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      const bool ldh = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ldh || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

bool same(const Address& a, const Address& b) {
  return a.local == b.local && a.domain == b.domain && a.utf8_local == b.utf8_local;
}

void check_address(const Address& a, PathOptions opts, std::string_view in) {
  check(!has_control(a.local) && !has_control(a.domain), "control octet in result", in);
  check(a.utf8_local == has_non_ascii(a.local), "utf8_local flag", in);
  check(!has_non_ascii(a.domain), "domain not ASCII", in);
  if (!opts.allow_utf8) check(!a.utf8_local, "UTF-8 without allow_utf8", in);
  if (a.is_null()) {
    check(opts.allow_null, "null without allow_null", in);
    check(a.str().empty(), "null prints non-empty", in);
    return;
  }
  if (a.domain.empty()) {
    check(opts.allow_bare_postmaster && a.local == "postmaster", "domain-less address", in);
  } else {
    check(a.local.size() <= 64, "local part over 64", in);
    check(a.domain.size() <= 255, "domain over 255", in);
    check(hostname_ok(a.domain) || a.domain.front() == '[', "domain not an A-label form", in);
  }
  const std::string printed = a.str();
  check(!has_control(printed), "str() emits a control octet", in);
  check(printed.size() + 2 <= 256, "str() path over 256", in);
  const auto again = hikyaku::core::parse_path("<" + printed + ">", opts);
  check(again.has_value(), "parse(str(a)) fails", in);
  check(same(*again, a), "parse(str(a)) differs", in);
  if (!a.domain.empty()) {
    const auto mailbox = hikyaku::core::parse_mailbox(printed, opts.allow_utf8);
    check(mailbox.has_value() && same(*mailbox, a), "parse_mailbox(str(a)) differs", in);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const PathOptions option_sets[] = {
      {},
      {.allow_null = true, .allow_utf8 = false},
      {.allow_null = false, .allow_utf8 = true, .allow_bare_postmaster = true},
      {.allow_null = true, .allow_utf8 = true, .allow_bare_postmaster = true},
  };
  for (const auto& opts : option_sets) {
    const auto a = hikyaku::core::parse_path(in, opts);
    if (a) check_address(*a, opts, in);
  }
  for (const bool utf8 : {false, true}) {
    const auto m = hikyaku::core::parse_mailbox(in, utf8);
    if (m) check_address(*m, PathOptions{.allow_null = false, .allow_utf8 = utf8}, in);
  }
  const auto d = hikyaku::core::domain_to_ascii(in);
  if (d) {
    check(!d->empty() && d->size() <= 255, "domain_to_ascii length", in);
    check(hostname_ok(*d), "domain_to_ascii output not lowercase LDH labels", in);
    const auto again = hikyaku::core::domain_to_ascii(*d);
    check(again.has_value() && *again == *d, "domain_to_ascii not idempotent", in);
  }
  return 0;
}
