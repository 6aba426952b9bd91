// Fuzz target for DKIM verification (RFC 6376 §3.5 signature tags, §6 verifier steps): the input
// as a whole message, its DKIM-Signature fields parsed by dkim_signature_refs and verified by
// DkimVerifier (libopendkim) with a fixed key set (RFC 8463 Appendix A's two keys; other key
// names found, absent or failing by a hash of the name). Never crashes; one outcome a field.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "auth/dkim_signatures.hpp"
#include "auth/dkim_verify.hpp"
#include "core/ascii.hpp"
#include "core/message.hpp"

namespace {

namespace auth = hikyaku::auth;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_dkim_verify invariant failed: %s\n", what);
  std::abort();
}

// RFC 8463 Appendix A.2.
const char* const kEd25519 = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const char* const kRsa =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5"
    "bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9Pz"
    "oxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

auth::DkimKeyRecords keys_for(const hikyaku::core::Message& m) {
  using Status = auth::DkimKeyRecord::Status;
  auth::DkimKeyRecords keys;
  for (const auto& ref : auth::dkim_signature_refs(m)) {
    if (ref.key_name.empty()) continue;
    auth::DkimKeyRecord r;
    if (ref.key_name == "brisbane._domainkey.football.example.com") {
      r = {Status::found, {kEd25519}, "NOERROR"};
    } else if (ref.key_name == "test._domainkey.football.example.com") {
      r = {Status::found, {kRsa}, "NOERROR"};
    } else {
      switch (std::hash<std::string>{}(ref.key_name) % 4) {
        case 0: r = {Status::absent, {}, "NXDOMAIN"}; break;
        case 1: r = {Status::temperror, {}, "SERVFAIL"}; break;
        case 2: r = {Status::found, {kEd25519}, "NOERROR"}; break;
        default: r = {Status::found, {std::string(kRsa) + "; t=y"}, "NOERROR"}; break;
      }
    }
    keys[ref.key_name] = r;
  }
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auth::DkimVerifier verifier;
  const hikyaku::core::Message message(std::string(reinterpret_cast<const char*>(data), size));
  const auto refs = auth::dkim_signature_refs(message);
  size_t fields = 0;
  for (const auto& f : message.fields()) {
    fields += hikyaku::core::ascii_iequals(message.field_name(f), "DKIM-Signature") ? 1 : 0;
  }
  check(refs.size() == fields, "one ref per DKIM-Signature field");
  for (const auto& r : refs) {
    check(r.key_name.empty() != r.problem.empty(), "either a key name or a problem");
    check(r.b_prefix.size() <= 8, "b_prefix longer than 8");
    check(r.key_name.size() <= 253, "key name too long");
  }
  const auth::DkimVerdict v = verifier.verify(message, keys_for(message), 1528637909 + 60);
  check(v.size() == refs.size(), "one outcome per signature");
  for (size_t i = 0; i < v.size(); ++i) {
    check(v[i].result != auth::DkimResult::none, "a signature without a result");
    check(v[i].result == auth::DkimResult::pass || !v[i].reason.empty(), "no reason for non-pass");
    check(v[i].result != auth::DkimResult::pass || !refs[i].key_name.empty(),
          "pass without a key lookup");
  }
  return 0;
}
