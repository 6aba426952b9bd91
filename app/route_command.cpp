// hikyaku route: routing::Router over the loaded configuration, as RCPT TO would ask it, plus the
// SRS sender (srs::forward) and the DMARC enforcement (app/auth_stage) that would apply.
#include "app/route_command.hpp"

#include <fmt/format.h>

#include "app/auth_stage.hpp"
#include "config/loader.hpp"
#include "core/address.hpp"
#include "core/envelope.hpp"
#include "routing/router.hpp"
#include "routing/srs_bounce.hpp"
#include "srs/srs.hpp"

namespace hikyaku::app {

namespace {

std::string_view without_brackets(std::string_view text) {
  if (text.size() >= 2 && text.front() == '<' && text.back() == '>') return text.substr(1, text.size() - 2);
  return text;
}

const char* disposition_name(routing::Disposition d) {
  switch (d) {
    case routing::Disposition::forward: return "forward";
    case routing::Disposition::drop: return "drop (accepted with 250, discarded)";
    case routing::Disposition::reject: return "reject (configured)";
    case routing::Disposition::unknown_user: return "reject (no rule, no catch-all)";
    case routing::Disposition::relay_denied: return "reject (not a domain we serve: never relayed)";
  }
  return "?";
}

// The address as the relay reads it: the domain in A-labels, the local part's case ignored.
std::string reading_of(const core::Address& rcpt, std::string_view typed) {
  std::vector<std::string> notes;
  const auto at = typed.rfind('@');
  const std::string_view typed_domain = at == std::string_view::npos ? std::string_view() : typed.substr(at + 1);
  if (!typed_domain.empty() && core::ascii_lower(typed_domain) != rcpt.domain) notes.push_back(fmt::format("IDN {} is {}", typed_domain, rcpt.domain));
  if (rcpt.local != core::ascii_lower(rcpt.local)) notes.push_back("local part compared without case");
  return notes.empty() ? std::string() : fmt::format(" ({})", fmt::join(notes, "; "));
}

// "rule info@example.com (subaddress)" with the detail the rule ignored: "... (subaddress \"+news\")".
std::string match_text(const routing::RouteDecision& d, const core::Address& rcpt) {
  constexpr std::string_view kRule = "rule ", kSub = " (subaddress)";
  const std::string& m = d.matched;
  if (!m.starts_with(kRule) || !m.ends_with(kSub)) return m;
  const std::string_view rule = std::string_view(m).substr(kRule.size(), m.size() - kRule.size() - kSub.size());
  const std::string_view base = rule.substr(0, rule.rfind('@'));
  if (base.size() >= rcpt.local.size()) return m;
  return fmt::format("rule {} (subaddress: \"{}\" after the separator ignored)", rule, rcpt.local.substr(base.size()));
}

std::string enforcement_text(const auth::EnforcementPolicy& p) {
  if (!p.enforce) return "not enforced: every DMARC result is forwarded, recorded in Authentication-Results";
  return fmt::format("enforced: p=reject refused with 550 5.7.1, p=quarantine {}",
                     p.reject_quarantine ? "refused too" : "forwarded with the result recorded");
}

}  // namespace

int route_command(const RouteCommandOptions& o) {
  auto loaded = config::load_file(o.config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  const std::string_view typed = without_brackets(o.recipient);
  core::Address rcpt;
  if (core::ascii_lower(typed) == "postmaster") {
    rcpt.local = std::string(typed);  // RFC 5321 §4.1.1.3: the bare Postmaster is ours
  } else {
    auto parsed = core::parse_mailbox(typed, true);
    if (!parsed) {
      fmt::print(stderr, "route: \"{}\": {}\n", o.recipient, core::describe(parsed.error()));
      return 2;
    }
    rcpt = std::move(*parsed);
  }
  core::Envelope env;
  const std::string_view sender_text = without_brackets(o.sender);
  if (!sender_text.empty()) {
    auto sender = core::parse_mailbox(sender_text, true);
    if (!sender) {
      fmt::print(stderr, "route: --from \"{}\": {}\n", o.sender, core::describe(sender.error()));
      return 2;
    }
    env.mail_from = std::move(*sender);
  }
  env.smtputf8 = rcpt.utf8_local || env.mail_from.utf8_local;
  const auto srs = routing::SrsRouting::from(loaded->srs);
  const routing::Router router(loaded->domains, srs, loaded->server.postmaster,
                               routing::ReplyRouting::from(*loaded));
  const routing::RouteDecision decision = router.route(env, rcpt);

  fmt::print("recipient: <{}>{}\n", rcpt.str(), reading_of(rcpt, typed));
  fmt::print("match: {}\n", match_text(decision, rcpt));
  fmt::print("action: {}\n", disposition_name(decision.disposition));
  for (const auto& d : decision.destinations) fmt::print("destination: <{}>\n", d.str());
  if (decision.disposition == routing::Disposition::forward) {
    fmt::print("from rewrite: {}\n", config::to_string(decision.from_rewrite));
  }
  fmt::print("rcpt reply: {}\n", decision.reply.summary());
  if (decision.disposition == routing::Disposition::forward) {
    if (env.mail_from.is_null()) {
      fmt::print("sender upstream: <> (the null sender is never rewritten; --from SENDER shows SRS)\n");
    } else if (!srs) {
      fmt::print("sender upstream: <{}> (no [srs]: not rewritten)\n", env.mail_from.str_as_sent());
    } else if (auto rewritten = srs::forward(env.mail_from, srs->keys, srs->domain, srs->today())) {
      fmt::print("sender upstream: <{}> (SRS for <{}>)\n", rewritten->str_as_sent(), env.mail_from.str_as_sent());
    } else {
      fmt::print("sender upstream: <{}> (SRS failed: {}; forwarded unchanged)\n", env.mail_from.str_as_sent(),
                 srs::describe(rewritten.error()));
    }
    env.recipients.push_back(rcpt);
    fmt::print("dmarc: {}\n", enforcement_text(enforcement_policy(loaded->auth, router, env)));
  }
  const bool accepted = decision.disposition == routing::Disposition::forward ||
                        decision.disposition == routing::Disposition::drop;
  return accepted ? 0 : 1;
}

}  // namespace hikyaku::app
