// Fuzz target: PROXY protocol v1/v2 header parsing (HAProxy spec §2.1, §2.2).
// Invariants: a header's `consumed` is within the input and its exact prefix parses the same;
// every shorter prefix of a (short) header is Incomplete; addresses parse back with inet_pton.
#include <arpa/inet.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtpd/proxy_protocol.hpp"

using namespace hikyaku::smtpd;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool valid_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const ProxyParse p = parse_proxy_header(in);
  if (const auto* h = std::get_if<ProxyHeader>(&p)) {
    check(h->consumed > 0 && h->consumed <= in.size() && h->consumed <= kMaxProxyHeader);
    if (h->local) {
      check(h->source_ip.empty() && h->dest_ip.empty());
    } else {
      check(valid_ip(h->source_ip) && valid_ip(h->dest_ip));
    }
    const ProxyParse again = parse_proxy_header(in.substr(0, h->consumed));
    const auto* h2 = std::get_if<ProxyHeader>(&again);
    check(h2 && h2->consumed == h->consumed && h2->source_ip == h->source_ip &&
          h2->source_port == h->source_port && h2->dest_ip == h->dest_ip &&
          h2->dest_port == h->dest_port && h2->local == h->local);
    if (h->consumed <= 512) {
      for (size_t n = 0; n < h->consumed; ++n) {
        check(std::holds_alternative<ProxyIncomplete>(parse_proxy_header(in.substr(0, n))));
      }
    }
  } else if (std::holds_alternative<ProxyIncomplete>(p)) {
    check(in.size() < kMaxProxyHeader);
    // Whatever a prefix of an incomplete input is, it is incomplete too.
    if (!in.empty()) {
      check(std::holds_alternative<ProxyIncomplete>(parse_proxy_header(in.substr(0, in.size() / 2))));
    }
  } else {
    check(!std::get<ProxyInvalid>(p).reason.empty());
  }
  return 0;
}
