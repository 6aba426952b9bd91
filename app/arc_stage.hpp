// The ARC step of the forwarding pipeline (DESIGN §1 steps 4-5, RFC 8617): the incoming chain
// verified with its signers' keys fetched through dns/, then a new ARC set sealed as the
// forwarding domain ([arc]; ARC is optional, IETF work moves it to Historic).
#pragma once
#include <optional>
#include <string>

#include "auth/arc_seal.hpp"
#include "auth/arc_verify.hpp"
#include "config/config.hpp"
#include "core/expected.hpp"
#include "core/message.hpp"
#include "core/asio.hpp"

namespace hikyaku::app {

struct ArcSealer {
  std::string domain;
  std::string selector;
  auth::PrivateKey private_key;  // parsed once, shared by every seal
  auth::SigAlgorithm algorithm = auth::SigAlgorithm::rsa_sha256;
  std::string authserv_id;

  // From [arc] when enabled (the key file read, parsed and checked once, here); nullopt when
  // disabled; an error naming the file when the key is unusable.
  static core::Expected<std::optional<ArcSealer>, std::string> from(const config::Config& config);
};

// The new ARC set to prepend: the AAR carrying the results of our Authentication-Results field
// on `msg` ("arc=<cv>" when it has none), AMS over the usual signed headers, AS. `body_hash`:
// the relaxed body hash of msg when the caller has it (computed here when null).
core::Expected<std::string, std::string> seal_arc(const ArcSealer& sealer, const core::Message& msg,
                                                  const auth::ArcResult& chain, int64_t now,
                                                  const auth::BodyHash* body_hash = nullptr);

}  // namespace hikyaku::app
