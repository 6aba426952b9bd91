// Message outcomes and authentication verdicts into metrics/catalog, with bounded labels only:
// a recipient domain counts under its name only when it is a configured domain, else "other".
#include "app/message_metrics.hpp"

#include <set>
#include <string>

#include "metrics/catalog.hpp"

namespace hikyaku::app {

void count_message(const core::Envelope& env, const core::Message& msg, const core::SmtpReply& reply,
                   std::string_view status) {
  auto& m = metrics::process();
  const auto outcome = metrics::message_outcome(status, reply.code);
  m.messages.with({outcome}).inc();
  std::set<std::string_view> domains;  // each served domain once per message
  for (const auto& r : env.recipients) domains.insert(r.domain);
  for (const auto d : domains) m.domain_messages.with({d, outcome}).inc();
  m.message_size.with({}).observe(static_cast<double>(msg.size()));
  m.message_recipients.with({}).observe(static_cast<double>(env.recipients.size()));
}

void count_auth(const auth::AuthResults& results) {
  auto& m = metrics::process();
  m.auth_results.with({"spf", auth::to_string(results.spf.mail_from.result)}).inc();
  if (results.dkim.empty()) {
    m.auth_results.with({"dkim", "none"}).inc();
  }
  for (const auto& s : results.dkim) m.auth_results.with({"dkim", auth::to_string(s.result)}).inc();
  m.auth_results.with({"dmarc", auth::to_string(results.dmarc.result)}).inc();
  m.auth_results.with({"arc", auth::to_string(results.arc.cv)}).inc();
}

}  // namespace hikyaku::app
