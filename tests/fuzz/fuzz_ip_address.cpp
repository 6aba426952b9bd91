// Fuzz target: IP addresses and prefixes as configuration and PROXY headers give them
// (core/ip_address.hpp). Invariants: the canonical text is canonical (parsing it gives it back)
// and never v4-mapped; a prefix's text parses back to the same prefix, which contains its own
// network address and no address of the other family.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/ip_address.hpp"

using namespace hikyaku::core;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (const auto text = canonical_ip(in)) {
    check(canonical_ip(*text) == *text);
    check(text->find("::ffff:") == std::string::npos || text->find('.') == std::string::npos);
    const auto address = IpAddress::parse(*text);
    check(address && address->to_string() == *text);
    (void)is_local_address(*address);
  }
  if (const auto prefix = IpPrefix::parse(in)) {
    check(prefix->length <= prefix->network.bit_length());
    const auto again = IpPrefix::parse(prefix->to_string());
    check(again && again->network == prefix->network && again->length == prefix->length);
    check(prefix->contains(prefix->network));
    IpAddress other = prefix->network;
    other.v6 = !other.v6;
    check(!prefix->contains(other));
  }
  return 0;
}
