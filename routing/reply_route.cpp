// route_reply_address: a valid reply address forwards to the author it encodes; anything else
// that claims to be one is 550 5.1.1 with the reason (forged and expired are told apart for the
// operator's log; the sender learns no more than SRS tells it).
#include "routing/reply_route.hpp"

#include "core/ascii.hpp"
#include "routing/router.hpp"
#include "srs/reply_address.hpp"

namespace hikyaku::routing {

std::optional<ReplyRouting> ReplyRouting::from(const config::Config& config) {
  if (config.from_rewrite.domain.empty() || config.srs.secrets.empty()) return std::nullopt;
  auto ascii = core::domain_to_ascii(config.from_rewrite.domain);
  if (!ascii) return std::nullopt;
  ReplyRouting out;
  out.domain = *ascii;
  out.secrets = config.srs.secrets;
  out.max_age_days = static_cast<int>(
      std::chrono::duration_cast<std::chrono::days>(config.from_rewrite.reply_max_age).count());
  out.today = [] { return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()); };
  return out;
}

std::optional<RouteDecision> route_reply_address(const ReplyRouting& reply, const core::Address& rcpt) {
  if (!core::ascii_iequals(rcpt.domain, reply.domain) || !srs::is_reply_address(rcpt.local)) return std::nullopt;
  RouteDecision d;
  auto author = srs::decode_reply_address(rcpt, reply.secrets, reply.today(), reply.max_age_days);
  if (!author) {
    d.disposition = Disposition::unknown_user;
    d.reply = core::SmtpReply::make(550, "5.1.1", "<" + rcpt.str() + ">: Recipient address rejected: " +
                                                      std::string(srs::describe(author.error())));
    d.matched = "reply address " + std::string(srs::describe(author.error()));
    d.srs_reversal_failed = true;  // counted with failed SRS reversals, per client
    return d;
  }
  d.disposition = Disposition::forward;
  d.destinations.push_back(std::move(*author));
  d.reply = core::SmtpReply::make(250, "2.1.5", "Ok");
  d.matched = "reply address";
  return d;
}

}  // namespace hikyaku::routing
