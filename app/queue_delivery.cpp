// RelayDelivery: a queued entry's recipients for one domain, through the same relay code as the
// session's fast path (MX order, families, STARTTLS, the connection pool), with the MAIL FROM
// parameters the sender used: SMTPUTF8 (RFC 6531 §3.4) and BODY=8BITMIME (RFC 6152 §3).
#include "app/queue_delivery.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace hikyaku::app {

queue::AttemptResult to_attempt(const relay::DomainOutcome& outcome) {
  queue::AttemptResult out;
  out.host = outcome.decided.host;
  out.answered = outcome.decided.upstream_answered();
  out.endpoint = outcome.decided.endpoint;
  out.tls = outcome.decided.tls ? outcome.decided.tls_version : "no";
  out.setup = outcome.setup;
  out.transmission = outcome.transmission;
  for (const auto& r : outcome.decided.result.recipients) {
    queue::RecipientOutcome o;
    o.address = r.recipient.str();
    o.reply = r.reply;
    out.recipients.push_back(std::move(o));
  }
  return out;
}

namespace {

bool has_non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

queue::AttemptResult all_failed(const queue::DeliveryJob& job, const core::SmtpReply& reply) {
  queue::AttemptResult out;
  for (const auto& r : job.recipients) {
    queue::RecipientOutcome o;
    o.address = r;
    o.reply = reply;
    out.recipients.push_back(std::move(o));
  }
  return out;
}

}  // namespace

asio::awaitable<queue::AttemptResult> RelayDelivery::deliver(queue::DeliveryJob job) {
  const std::shared_ptr<const ForwardingContext> fwd = context_();
  if (!fwd || !job.message) {
    co_return all_failed(job, core::SmtpReply::make(451, "4.3.0", "relay not ready"));
  }
  relay::OutboundTransaction tx;
  bool utf8 = has_non_ascii(job.mail_from);
  if (!job.mail_from.empty()) {
    auto from = core::parse_mailbox(job.mail_from, true);
    if (!from) {
      co_return all_failed(job, core::SmtpReply::make(554, "5.1.7", "bad stored sender address"));
    }
    tx.mail_from = *from;
  }
  queue::AttemptResult bad;
  for (const auto& r : job.recipients) {
    utf8 = utf8 || has_non_ascii(r);
    auto rcpt = core::parse_mailbox(r, true);
    if (rcpt) {
      tx.recipients.push_back(*rcpt);
    } else {
      bad.recipients.push_back({r, core::SmtpReply::make(553, "5.1.3", "bad stored recipient address")});
    }
  }
  if (tx.recipients.empty()) co_return bad;
  tx.message = std::make_shared<const core::Message>(*job.message);
  // As the sender asked (stored with the entry), as on the session's own path; an entry written
  // before these were stored (spool version 1) falls back to what its bytes show.
  tx.smtputf8 = job.smtputf8 || utf8;
  tx.eight_bit = job.eight_bit || has_non_ascii(*job.message);
  relay::DomainOutcome outcome = co_await relay::deliver_to_domain(
      executor_, *fwd->resolver, job.domain, std::move(tx), fwd->delivery);
  if (fwd->tls_reports) fwd->tls_reports->observe(executor_, fwd->resolver, outcome);  // RFC 8460
  queue::AttemptResult out = to_attempt(outcome);
  for (auto& b : bad.recipients) out.recipients.push_back(std::move(b));
  co_return out;
}

}  // namespace hikyaku::app
