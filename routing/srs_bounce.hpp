// Reverse routing of mail sent to our SRS addresses: a bounce (NDR) to SRS0=...@srs.domain goes
// back to the original sender, after its hash and age check out; anything forged or expired is
// refused, never relayed. Shevek's SRS as libsrs2/PostSRSd; RFC 5321 §4.5.5 (null sender).
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "core/address.hpp"
#include "core/envelope.hpp"
#include "srs/srs.hpp"

namespace hikyaku::routing {

struct RouteDecision;

struct SrsRouting {
  std::string domain;  // A-labels
  srs::SrsKeys keys;
  int max_age_days = srs::kDefaultMaxAgeDays;
  bool bounces_only = true;  // [srs] bounces_only
  std::function<std::chrono::sys_days()> today;  // the clock; tests inject one

  // From [srs]; nullopt when SRS is not configured (no domain).
  static std::optional<SrsRouting> from(const config::SrsConfig& srs);
};

// The decision for `rcpt` when it is in the SRS domain, else nullopt (not ours to decide).
std::optional<RouteDecision> route_srs_bounce(const SrsRouting& srs, const core::Envelope& env,
                                              const core::Address& rcpt);

}  // namespace hikyaku::routing
