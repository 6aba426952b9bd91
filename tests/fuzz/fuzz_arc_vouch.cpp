// Fuzz target for auth/arc_vouch: the Authentication-Results method scan (RFC 8601 §2.2) over
// arbitrary values, and the trusted-sealer search over an arbitrary message with a chain taken as
// validated. Never crashes; a vouch always names a trusted sealer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "auth/arc_vouch.hpp"
#include "core/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace auth = hikyaku::auth;
  const std::string input(reinterpret_cast<const char*>(data), size);
  if (auto p = auth::method_property(input, "dmarc", "header.from")) {
    if (p->empty()) {
      std::fprintf(stderr, "fuzz_arc_vouch: empty property value\n");
      std::abort();
    }
  }
  if (auto r = auth::method_result(input, "dmarc")) {
    if (r->empty() || r->find_first_of(" \t\r\n") != std::string::npos) {
      std::fprintf(stderr, "fuzz_arc_vouch: bad result word\n");
      std::abort();
    }
  }
  auth::ArcResult chain;
  chain.cv = auth::ArcResult::Cv::pass;
  const hikyaku::core::Message message(input);
  if (auto v = auth::trusted_dmarc_pass(message, chain, {"lists.example.org"}, "x.example")) {
    if (v->sealer != "lists.example.org") {
      std::fprintf(stderr, "fuzz_arc_vouch: vouch by an untrusted sealer\n");
      std::abort();
    }
  }
  return 0;
}
