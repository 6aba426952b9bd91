// route_srs_bounce: SRS0/SRS1 reversal at RCPT. A good address forwards to the original
// sender (SRS0) or to the previous forwarder's SRS address (SRS1); a bad hash, an expired stamp
// or a non-SRS local part in the SRS domain is 550 5.1.1, so the domain is never an open relay.
#include "routing/srs_bounce.hpp"

#include "core/ascii.hpp"
#include "routing/router.hpp"

namespace hikyaku::routing {

std::optional<SrsRouting> SrsRouting::from(const config::SrsConfig& srs) {
  if (srs.domain.empty() || srs.secrets.empty()) return std::nullopt;
  auto ascii = core::domain_to_ascii(srs.domain);
  if (!ascii) return std::nullopt;
  SrsRouting out;
  out.domain = *ascii;
  out.keys = srs::SrsKeys(srs.secrets, static_cast<std::size_t>(srs.hash_length), srs.accept_legacy_hash);
  out.max_age_days = static_cast<int>(std::chrono::duration_cast<std::chrono::days>(srs.max_age).count());
  out.bounces_only = srs.bounces_only;
  out.today = [] { return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()); };
  return out;
}

std::optional<RouteDecision> route_srs_bounce(const SrsRouting& srs, const core::Envelope& env,
                                              const core::Address& rcpt) {
  if (!core::ascii_iequals(rcpt.domain, srs.domain)) return std::nullopt;
  const std::string shown = "<" + rcpt.str() + ">";
  RouteDecision d;
  if (srs.bounces_only && !env.mail_from.is_null()) {
    d.disposition = Disposition::reject;
    d.reply = core::SmtpReply::make(550, "5.7.1", shown + ": only bounces are accepted for this address");
    d.matched = "srs (not a bounce)";
    return d;
  }
  auto original = srs::reverse(rcpt, srs.keys, srs.today(), srs.max_age_days);
  if (!original) {
    d.disposition = Disposition::unknown_user;
    d.reply = core::SmtpReply::make(550, "5.1.1", shown + ": Recipient address rejected: " +
                                                      std::string(srs::describe(original.error())));
    d.matched = "srs " + std::string(srs::describe(original.error()));
    d.srs_reversal_failed = true;
    return d;
  }
  d.disposition = Disposition::forward;
  d.destinations.push_back(*original);
  d.reply = core::SmtpReply::make(250, "2.1.5", "Ok");
  d.matched = "srs reversed";
  return d;
}

}  // namespace hikyaku::routing
