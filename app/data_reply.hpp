// The one reply to DATA for a message forwarded to several destination domains (DESIGN §1
// step 7, RFC 5321 §4.2.5, §3.3, §6.1): built from every destination's per-recipient outcome,
// and for a mixed outcome the part the durable queue must take (retries, DSNs). Pure.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/smtp_reply.hpp"
#include "relay/domain_delivery.hpp"

namespace hikyaku::app {

enum class MessageStatus {
  delivered,  // every destination accepted: 250
  refused,    // every destination refused permanently: the upstream's 5xx
  deferred,   // nothing delivered, nothing refused, something failed temporarily: 451, nothing kept
  queued,     // mixed: the undelivered part goes to the queue (and/or a DSN) before a 250
};
std::string_view status_name(MessageStatus s);

// A recipient the queue retries: a temporary failure, a transaction aborted by the commit gate
// because another destination failed, or a delivery still under way at the session budget.
struct QueuedRecipient {
  std::string address;
  std::string original;  // the RCPT TO address that led to it ("" when unknown)
  std::string domain;
  std::string last_error;
  bool in_flight = false;  // still being delivered: its result comes later
};

// A recipient refused with a 5xx in a mixed outcome: the sender learns it from a DSN.
struct RefusedRecipient {
  std::string address;
  std::string original;  // the RCPT TO address that led to it ("" when unknown)
  std::string host;  // "" for our own refusals (null MX)
  core::SmtpReply reply;
};

struct DataReply {
  core::SmtpReply reply;  // for `queued`: the 250 to give once the queue holds the rest
  MessageStatus status = MessageStatus::delivered;
  std::vector<QueuedRecipient> to_queue;   // `queued` only
  std::vector<RefusedRecipient> refused;   // `queued` only
  size_t delivered = 0;                    // recipients accepted upstream
  // "mx.a 250 ...; mx.b 250 ..." for replies: the first three destinations, then "and N more".
  std::string delivered_to;
};

// Forwarding target (Address::str()) -> the RCPT TO address the sender used (DeliveryPlan).
using OriginalRecipients = std::map<std::string, std::string>;

// `transaction_id` is named in a 250. Upstream text is passed through prefixed with the host,
// with every forwarding target in `originals` replaced by the address the sender used: the
// sender never learns a private target from a reply (queue/target_privacy).
// unfinished[i] (when given) says outcomes[i] is a delivery still under way at the session
// budget; its recipients' replies are placeholders.
DataReply compose_data_reply(const std::vector<relay::DomainOutcome>& outcomes,
                             const std::string& transaction_id,
                             const std::vector<bool>& unfinished = {},
                             const OriginalRecipients& originals = {});

// The 250 for a `queued` outcome once the queue holds it (queue_id "" when only refusals, with
// the null sender, remain: nothing is queued).
core::SmtpReply queued_reply(const DataReply& r, const std::string& transaction_id,
                             const std::string& queue_id, bool dsn_queued);

// The reply when the spool cannot take a `queued` outcome: 452 4.3.1 when nothing was delivered
// (RFC 3463 §3.4: mail system full; nothing is claimed, the sender retries), else 554 5.3.1
// naming the delivered part: never 4xx once a part was delivered (a retry would duplicate it),
// never 250 for what is neither delivered nor on disk. Recipients are named by their original
// address (by "forwarding target" when it is unknown), never by the target.
core::SmtpReply spool_failure_reply(const DataReply& r, const std::string& why);

}  // namespace hikyaku::app
