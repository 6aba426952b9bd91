// Recipient routing: which of our domains an address belongs to, and what to do with it.
// Pure (no I/O). RFC 5321 §2.3.11 / §3.9 (aliases and forwarding), RFC 5233 (subaddressing),
// RFC 6531 (UTF-8 local parts). Never an open relay: a domain we do not serve is refused.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/address.hpp"
#include "core/envelope.hpp"
#include "core/smtp_reply.hpp"
#include "routing/reply_route.hpp"
#include "routing/srs_bounce.hpp"

namespace hikyaku::routing {

enum class Disposition {
  forward,         // relay to `destinations`
  drop,            // accept with 250 and discard
  reject,          // refuse with `reply`
  unknown_user,    // our domain, no rule, no catch-all: 550 5.1.1
  relay_denied,    // not a domain we serve: 550 5.7.1
};

struct RouteDecision {
  Disposition disposition = Disposition::relay_denied;
  std::vector<core::Address> destinations;  // for forward
  core::SmtpReply reply;                    // the RCPT reply to give (250 for forward/drop)
  std::string matched;                      // "rule info@example.com", "catch-all example.com"
  // An address in the SRS domain that did not reverse (forged or damaged hash, expired,
  // malformed): the session counts these per client ([srs] max_failed_reversals).
  bool srs_reversal_failed = false;
  // From rewriting for this recipient ([[domain.rule]] from_rewrite, else its [[domain]]'s;
  // when-needed for SRS bounces and reply addresses).
  config::FromRewriteMode from_rewrite = config::FromRewriteMode::when_needed;
};

// A served domain's overrides of [auth] settings (unset: the [auth] value applies).
struct DomainPolicy {
  std::optional<bool> dmarc_enforce;
  std::optional<config::QuarantineAction> quarantine;
};

class Router {
 public:
  // Builds lookup tables from config (domains converted to A-labels, local parts lowercased).
  // The config has been validated by config/loader; bad entries here are skipped.
  // With `srs`, RCPT to the SRS domain is reversed to the original sender (routing/srs_bounce).
  // `postmaster` ([server] postmaster, may be empty): where postmaster@ and abuse@ of a served
  // domain without a rule for them, and the bare "Postmaster", are forwarded (RFC 5321 §4.5.1).
  // With `reply`, RCPT to a reply address of a rewritten From goes to its author
  // (routing/reply_route), before the SRS domain and the served domains are looked at.
  explicit Router(const std::vector<config::DomainConfig>& domains,
                  std::optional<SrsRouting> srs = std::nullopt, const std::string& postmaster = {},
                  std::optional<ReplyRouting> reply = std::nullopt);
  RouteDecision route(const core::Envelope& env, const core::Address& rcpt) const;
  bool serves(const std::string& ascii_domain) const;
  // The overrides of a domain we serve; nullopt for any other domain.
  std::optional<DomainPolicy> domain_policy(const std::string& ascii_domain) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace hikyaku::routing
