// The queue entry that tells a sender its message failed: an RFC 3464 DSN (queue/dsn.hpp) from
// MAILER-DAEMON@<hostname> with the null reverse-path (RFC 5321 §4.5.5, §6.1: a DSN is never
// answered with a DSN), to the original sender, queued and delivered like any message. Each
// recipient is reported by the address the sender used: the forwarding target stays private.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "queue/dsn.hpp"
#include "queue/spool_file.hpp"

namespace hikyaku::queue {

struct BounceInput {
  std::string hostname;          // [server] hostname: Reporting-MTA and MAILER-DAEMON@
  std::string new_queue_id;      // the DSN's own queue id
  const SpoolEntry* original = nullptr;  // mail_from, queue id, arrival, message headers
  std::vector<DsnRecipient> failed;
  std::int64_t now = 0;
};

// The DSN as a spool entry ready to be written; nullopt-like empty queue_id is never returned:
// callers check needs_bounce() first. The original sender must not be null.
SpoolEntry make_bounce(const BounceInput& in);

// Why `original` gets no DSN ("" when it does): the null sender (RFC 5321 §4.5.5, RFC 3464 §2),
// or a sender whose SPF result was "fail" (no backscatter to a forged address, RFC 7208 §8.4).
std::string_view no_bounce_reason(const SpoolEntry& original);
inline bool needs_bounce(const SpoolEntry& original) { return no_bounce_reason(original).empty(); }

// A failed recipient as the DSN reports it: Original-Recipient (d's own, else the entry's
// recipient with d's address) and Final-Recipient are the address the sender used, and that
// target's address in the diagnostic is replaced by it ("forwarding target" when unknown).
DsnRecipient reported_recipient(DsnRecipient d, const SpoolEntry& original);

// The header block of a message (up to, not including, the empty line).
std::string header_block(const std::string& message);

// A DSN status for a final reply: its enhanced code when it has one of the right class, else
// the generic one for the basic code (RFC 3463 §3.1: 5.0.0 / 4.0.0).
std::string dsn_status(int code, const std::string& enhanced);

}  // namespace hikyaku::queue
