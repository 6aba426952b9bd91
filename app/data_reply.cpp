// The DATA reply rule (DESIGN §1 step 7): all accepted → 250 citing upstream queue ids; all
// refused → the upstream 5xx passed through; nothing delivered or refused and something
// temporary → 451 (nothing kept); anything mixed → the undelivered part to the queue, a DSN
// for the refused recipients, then 250 (what an MTA does: RFC 5321 §6.1, once 250 is given the
// message is ours to deliver or bounce).
#include "app/data_reply.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "queue/target_privacy.hpp"

namespace hikyaku::app {

std::string_view status_name(MessageStatus s) {
  switch (s) {
    case MessageStatus::delivered: return "sent";
    case MessageStatus::refused: return "bounced";
    case MessageStatus::deferred: return "deferred";
    case MessageStatus::queued: return "queued";
  }
  return "?";
}

namespace {

std::string upstream_text(const relay::DomainOutcome& o, const core::SmtpReply& r,
                          const OriginalRecipients& originals) {
  std::string text;
  for (size_t i = 0; i < r.lines.size(); ++i) text += (i ? " " : "") + r.lines[i];
  // Upstreams echo the recipient ("<target>: User unknown"): the sender sees its own address.
  for (const auto& [target, original] : originals) text = queue::conceal_target(text, target, original);
  if (o.decided.host.empty()) return text;  // our own reply (DNS, null MX): no host to cite
  if (!r.enhanced.empty()) text = r.enhanced + " " + text;
  return fmt::format("{} said: {} {}", o.decided.host, r.code, text);
}

std::string original_of(const OriginalRecipients& originals, const std::string& target) {
  const auto it = originals.find(target);
  return it == originals.end() ? std::string() : it->second;
}

// Long lists in a reply are summarised (RFC 5321 §4.5.3.1.5 bounds each reply line; a reply
// naming a hundred destinations helps nobody): the first kShownInReply, then "and N more".
constexpr size_t kShownInReply = 3;

std::string summarize(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < kShownInReply; ++i) {
    if (i) out += separator;
    out += items[i];
  }
  if (items.size() > kShownInReply) out += fmt::format(" and {} more", items.size() - kShownInReply);
  return out;
}

// The enhanced code to give: the upstream's when it has the right class, else a default.
std::string enhanced_for(const core::SmtpReply& r, char cls, std::string_view fallback) {
  if (!r.enhanced.empty() && r.enhanced[0] == cls) return r.enhanced;
  return std::string(fallback);
}

}  // namespace

DataReply compose_data_reply(const std::vector<relay::DomainOutcome>& outcomes,
                             const std::string& transaction_id, const std::vector<bool>& unfinished,
                             const OriginalRecipients& originals) {
  size_t temporary = 0, permanent = 0, retry = 0;
  const relay::RecipientResult* first_temporary = nullptr;
  const relay::RecipientResult* first_permanent = nullptr;
  const relay::DomainOutcome* temporary_domain = nullptr;
  const relay::DomainOutcome* permanent_domain = nullptr;
  bool any_unfinished = false;
  std::vector<std::string> delivered_to;
  DataReply out;
  // A transaction held before its final "." and then not committed failed only because
  // another destination did: the queue retries it. When every transaction is such (the commit
  // deadline passed), it is a plain temporary failure.
  const auto aborted = [](const relay::DomainOutcome& o) { return o.decided.held && !o.decided.committed; };
  const bool only_aborted = std::all_of(outcomes.begin(), outcomes.end(), aborted);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    const bool still_running = i < unfinished.size() && unfinished[i];
    any_unfinished = any_unfinished || still_running;
    const bool was_aborted = !still_running && aborted(o) && !only_aborted;
    bool counted_domain = false;
    for (const auto& r : o.decided.result.recipients) {
      if (still_running || was_aborted) {
        ++retry;
        out.to_queue.push_back({r.recipient.str(), original_of(originals, r.recipient.str()), o.domain,
                                still_running ? std::string("still being delivered at the session budget")
                                              : upstream_text(o, r.reply, originals),
                                still_running});
      } else if (r.accepted()) {
        ++out.delivered;
        if (!counted_domain) {
          const auto& dr = o.decided.result.data_reply;
          std::string said = dr ? dr->summary() : std::string("250");
          for (const auto& [target, original] : originals) said = queue::conceal_target(said, target, original);
          delivered_to.push_back(fmt::format("{} {}", o.decided.host, said));
          counted_domain = true;
        }
      } else if (r.reply.permanent()) {
        ++permanent;
        out.refused.push_back({r.recipient.str(), original_of(originals, r.recipient.str()),
                               o.decided.host, r.reply});
        if (!first_permanent) first_permanent = &r, permanent_domain = &o;
      } else {
        ++temporary;
        out.to_queue.push_back({r.recipient.str(), original_of(originals, r.recipient.str()), o.domain,
                                upstream_text(o, r.reply, originals), false});
        if (!first_temporary) first_temporary = &r, temporary_domain = &o;
      }
    }
  }
  out.delivered_to = summarize(delivered_to, "; ");

  if (!any_unfinished && temporary == 0 && permanent == 0 && retry == 0) {
    out.status = MessageStatus::delivered;
    out.reply = core::SmtpReply::make(
        250, "2.0.0", fmt::format("Ok: {} forwarded ({})", transaction_id, out.delivered_to));
  } else if (!any_unfinished && out.delivered == 0 && permanent == 0) {
    // Every destination failed temporarily: the sender keeps the message and retries; the
    // fast path stays diskless.
    out.status = MessageStatus::deferred;
    const auto& r = first_temporary->reply;
    out.reply = core::SmtpReply::make(451, enhanced_for(r, '4', "4.4.0"),
                                      "Try again later: " + upstream_text(*temporary_domain, r, originals));
  } else if (!any_unfinished && out.delivered == 0 && temporary == 0 && retry == 0) {
    out.status = MessageStatus::refused;
    const auto& r = first_permanent->reply;
    out.reply = core::SmtpReply::make(r.code, enhanced_for(r, '5', "5.0.0"),
                                      upstream_text(*permanent_domain, r, originals));
  } else {
    out.status = MessageStatus::queued;
    out.reply = queued_reply(out, transaction_id, "", false);
  }
  if (out.status != MessageStatus::queued) {
    out.to_queue.clear();
    out.refused.clear();
  }
  return out;
}

core::SmtpReply queued_reply(const DataReply& r, const std::string& transaction_id,
                             const std::string& queue_id, bool dsn_queued) {
  std::string text = "Ok: " + transaction_id;
  if (r.delivered > 0) text += " forwarded (" + r.delivered_to + ")";
  if (!r.to_queue.empty()) {
    text += fmt::format("{} queued as {} for {} recipient(s)", r.delivered > 0 ? ";" : "",
                        queue_id, r.to_queue.size());
  }
  if (!r.refused.empty()) {
    text += fmt::format("; {} recipient(s) refused{}", r.refused.size(),
                        dsn_queued ? ", a delivery status notification follows" : "");
  }
  return core::SmtpReply::make(250, "2.0.0", text);
}

core::SmtpReply spool_failure_reply(const DataReply& r, const std::string& why) {
  if (r.delivered == 0) {
    return core::SmtpReply::make(452, "4.3.1", "Insufficient system storage, try again later");
  }
  std::vector<std::string> missed;
  const auto shown = [](const std::string& original) {
    return original.empty() ? std::string(queue::kConcealedTarget) : "<" + original + ">";
  };
  for (const auto& q : r.to_queue) missed.push_back(shown(q.original));
  for (const auto& f : r.refused) missed.push_back(shown(f.original));
  std::string text = "Partially delivered (" + r.delivered_to + "); not delivered to " +
                     summarize(missed, " ") + ": cannot queue the rest (" + why + ")";
  return core::SmtpReply::make(554, "5.3.1", text);
}

}  // namespace hikyaku::app
