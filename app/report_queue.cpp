// queue_report: the report mail signed on a worker (the signer is stateless and thread-safe),
// written with QueueRunner::write_new there too (fsync), then adopted on the loop thread.
#include "app/report_queue.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/message.hpp"
#include "core/run_on_workers.hpp"

namespace hikyaku::app {

core::Expected<queue::SpoolEntry, std::string> make_report_entry(
    const dkim::Signer* signer, const dkim::KeyStore* keys, const reports::ReportMail& mail,
    const std::string& queue_id, std::int64_t now) {
  core::Message message(reports::build_report_message(mail));
  if (signer && keys && !keys->empty()) {
    std::vector<const dkim::SigningKey*> chosen;
    for (const auto& k : keys->keys()) chosen.push_back(&k);
    auto fields = signer->sign_all(message, chosen,
                                   std::chrono::sys_seconds(std::chrono::seconds(now)));
    if (!fields) return core::unexpected("DKIM signing failed: " + fields.error().detail);
    std::string all;
    for (const auto& f : *fields) all += f;
    message = std::move(message).prepend(all);
  }
  queue::SpoolEntry entry;
  entry.queue_id = queue_id;
  entry.arrival = now;
  entry.mail_from = mail.from;
  entry.upstream_from = mail.from;
  entry.recipients.push_back({mail.to, queue::RcptState::pending, "", ""});
  entry.next_try = now;
  entry.message = message.raw();
  return entry;
}

asio::awaitable<std::string> queue_report(const ReportQueueContext& ctx, reports::ReportMail mail,
                                          std::string recipient, std::int64_t now) {
  if (!ctx.runner) co_return std::string("no queue");
  mail.to = recipient;
  const std::string queue_id = ctx.runner->new_queue_id();
  const std::string directory = ctx.runner->options().directory;
  struct Done {
    std::string error;
    queue::SpoolEntry entry;
  };
  auto task = [signer = ctx.signer, keys = ctx.keys, &mail, queue_id, now, directory] {
    Done out;
    auto entry = make_report_entry(signer, keys.get(), mail, queue_id, now);
    if (!entry) {
      out.error = entry.error();
      return out;
    }
    auto written = queue::QueueRunner::write_new(directory, *entry);
    if (!written) {
      ::unlink((directory + "/" + queue_id).c_str());
      out.error = written.error().message;
      return out;
    }
    out.entry = std::move(*entry);
    return out;
  };
  Done done;
  if (ctx.workers) {
    done = co_await run_on_workers<Done>(*ctx.workers, std::move(task));
  } else {
    done = task();
  }
  if (!done.error.empty()) co_return done.error;
  ctx.runner->adopt(std::move(done.entry));
  co_return std::string();
}

}  // namespace hikyaku::app
