// A generated report mail into the durable queue: built (reports/report_message), DKIM-signed
// as the forwarding domain with the keys forwarded mail is signed with (DESIGN §1 step 5), and
// written as a spool entry from the reports sender to one rua mailbox (RFC 8460 §3, the
// "mailto:" scheme; RFC 9990 §3 likewise), then handed to the queue runner, like queue/bounce.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/asio.hpp"
#include "dkim/key_store.hpp"
#include "dkim/signer.hpp"
#include "queue/queue_runner.hpp"
#include "queue/spool_file.hpp"
#include "reports/report_message.hpp"

namespace hikyaku::app {

struct ReportQueueContext {
  const dkim::Signer* signer = nullptr;          // null or no keys: the report goes unsigned
  std::shared_ptr<const dkim::KeyStore> keys;
  queue::QueueRunner* runner = nullptr;          // on the calling coroutine's executor
  asio::thread_pool* workers = nullptr;          // signing and the spool write; null: inline
};

// The spool entry for `mail` (its message built and signed): MAIL FROM mail.from, one
// recipient. Fails only when signing fails.
core::Expected<queue::SpoolEntry, std::string> make_report_entry(
    const dkim::Signer* signer, const dkim::KeyStore* keys, const reports::ReportMail& mail,
    const std::string& queue_id, std::int64_t now);

// Builds, signs, writes durably and adopts: "" when the report is in the queue, else why not.
// Runs on the queue runner's executor (the event-loop thread).
asio::awaitable<std::string> queue_report(const ReportQueueContext& ctx, reports::ReportMail mail,
                                          std::string recipient, std::int64_t now);

}  // namespace hikyaku::app
