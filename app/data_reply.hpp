// The one reply to DATA for a message forwarded to several destination domains (DESIGN §1
// step 7, RFC 5321 §4.2.5, §3.3): built from every destination's per-recipient outcome. Pure.
#pragma once
#include <string>
#include <vector>

#include "core/smtp_reply.hpp"
#include "relay/domain_delivery.hpp"

namespace hikyaku::app {

enum class MessageStatus {
  delivered,         // every destination accepted: 250
  refused,           // every destination refused permanently: the upstream's 5xx
  deferred,          // nothing delivered, something failed temporarily: 451, the sender retries
  partial_refused,   // some delivered, the rest refused permanently: 5xx naming both
  partial_deferred,  // some delivered, some failed temporarily: 451 (a retry duplicates)
};
std::string_view status_name(MessageStatus s);

struct DataReply {
  core::SmtpReply reply;
  MessageStatus status = MessageStatus::delivered;
};

// `transaction_id` is named in a 250. Upstream text is passed through prefixed with the host.
DataReply compose_data_reply(const std::vector<relay::DomainOutcome>& outcomes,
                             const std::string& transaction_id);

}  // namespace hikyaku::app
