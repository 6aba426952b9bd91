// The DATA reply rule (DESIGN §1 step 7): all accepted → 250 citing upstream queue ids; all
// refused → the upstream 5xx passed through; nothing delivered and something temporary → 451.
// Without the durable queue a partial delivery cannot be one honest answer: a temporary part
// gets 451 (a retry duplicates the delivered part, which beats losing the rest), a permanent
// part gets the 5xx (the sender's bounce says what was not delivered).
#include "app/data_reply.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace hikyaku::app {

std::string_view status_name(MessageStatus s) {
  switch (s) {
    case MessageStatus::delivered: return "sent";
    case MessageStatus::refused: return "bounced";
    case MessageStatus::deferred: return "deferred";
    case MessageStatus::partial_refused: return "partial-bounced";
    case MessageStatus::partial_deferred: return "partial-deferred";
  }
  return "?";
}

namespace {

std::string upstream_text(const relay::DomainOutcome& o, const core::SmtpReply& r) {
  std::string text;
  for (size_t i = 0; i < r.lines.size(); ++i) text += (i ? " " : "") + r.lines[i];
  if (o.decided.host.empty()) return text;  // our own reply (DNS, null MX): no host to cite
  if (!r.enhanced.empty()) text = r.enhanced + " " + text;
  return fmt::format("{} said: {} {}", o.decided.host, r.code, text);
}

// The enhanced code to give: the upstream's when it has the right class, else a default.
std::string enhanced_for(const core::SmtpReply& r, char cls, std::string_view fallback) {
  if (!r.enhanced.empty() && r.enhanced[0] == cls) return r.enhanced;
  return std::string(fallback);
}

}  // namespace

DataReply compose_data_reply(const std::vector<relay::DomainOutcome>& outcomes,
                             const std::string& transaction_id) {
  size_t accepted = 0, temporary = 0, permanent = 0;
  const relay::RecipientResult* first_temporary = nullptr;
  const relay::RecipientResult* first_permanent = nullptr;
  const relay::DomainOutcome* temporary_domain = nullptr;
  const relay::DomainOutcome* permanent_domain = nullptr;
  std::vector<std::string> delivered_to;
  // A transaction held before its final "." and then not committed failed only because
  // another destination did: it does not decide the reply, unless nothing else does (then it
  // is a temporary failure: the commit deadline passed).
  const auto aborted = [](const relay::DomainOutcome& o) { return o.decided.held && !o.decided.committed; };
  const bool only_aborted = std::all_of(outcomes.begin(), outcomes.end(), aborted);
  for (const auto& o : outcomes) {
    if (aborted(o) && !only_aborted) continue;
    bool counted_domain = false;
    for (const auto& r : o.decided.result.recipients) {
      if (r.accepted()) {
        ++accepted;
        if (!counted_domain) {
          const auto& dr = o.decided.result.data_reply;
          delivered_to.push_back(fmt::format("{} {}", o.decided.host,
                                             dr ? dr->summary() : std::string("250")));
          counted_domain = true;
        }
      } else if (r.reply.permanent()) {
        ++permanent;
        if (!first_permanent) first_permanent = &r, permanent_domain = &o;
      } else {
        ++temporary;
        if (!first_temporary) first_temporary = &r, temporary_domain = &o;
      }
    }
  }
  std::string delivered;
  for (const auto& d : delivered_to) delivered += (delivered.empty() ? "" : "; ") + d;

  DataReply out;
  if (temporary == 0 && permanent == 0) {
    out.status = MessageStatus::delivered;
    out.reply = core::SmtpReply::make(250, "2.0.0",
                                      fmt::format("Ok: {} forwarded ({})", transaction_id, delivered));
  } else if (accepted == 0 && temporary == 0) {
    out.status = MessageStatus::refused;
    const auto& r = first_permanent->reply;
    out.reply = core::SmtpReply::make(r.code, enhanced_for(r, '5', "5.0.0"),
                                      upstream_text(*permanent_domain, r));
  } else if (temporary > 0) {
    out.status = accepted == 0 ? MessageStatus::deferred : MessageStatus::partial_deferred;
    const auto& r = first_temporary->reply;
    std::string text = upstream_text(*temporary_domain, r);
    if (accepted > 0) text = "partially delivered (" + delivered + "), then " + text;
    out.reply = core::SmtpReply::make(451, enhanced_for(r, '4', "4.4.0"), "Try again later: " + text);
  } else {
    out.status = MessageStatus::partial_refused;
    const auto& r = first_permanent->reply;
    out.reply = core::SmtpReply::make(
        r.code, enhanced_for(r, '5', "5.0.0"),
        fmt::format("Partially delivered ({}); not delivered: {}", delivered,
                    upstream_text(*permanent_domain, r)));
  }
  return out;
}

}  // namespace hikyaku::app
