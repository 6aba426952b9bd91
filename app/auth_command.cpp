// hikyaku auth: auth::authenticate over the message on stdin with DNS from app/offline_dns, SPF
// in helper processes as in the relay, then the enforcement decision and the A-R field.
#include "app/auth_command.hpp"

#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <unistd.h>

#include "app/from_rewrite.hpp"
#include "app/offline_dns.hpp"
#include "auth/arc_vouch.hpp"
#include "auth/authentication_results.hpp"
#include "auth/authenticator.hpp"
#include "auth/enforcement.hpp"
#include "config/loader.hpp"
#include "core/message.hpp"

namespace hikyaku::app {

namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

const char* action_name(auth::Enforcement::Action a) {
  switch (a) {
    case auth::Enforcement::Action::accept: return "accept";
    case auth::Enforcement::Action::refuse: return "refuse";
    case auth::Enforcement::Action::defer: return "defer";
  }
  return "?";
}

}  // namespace

int auth_command(const AuthCommandOptions& o) {
  config::AuthConfig settings;
  std::string hostname = host_name();
  // From rewriting as the relay would decide it under the default mode ("when-needed"): the
  // reply domain and signing keys come from the configuration, when one is given.
  std::optional<routing::ReplyRouting> reply;
  std::vector<std::string> key_domains;
  bool arc = false;
  if (!o.config_path.empty()) {
    auto loaded = config::load_file(o.config_path);
    if (!loaded) {
      for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
      return 2;
    }
    settings = loaded->auth;
    hostname = loaded->server.hostname;
    reply = routing::ReplyRouting::from(*loaded);
    for (const auto& k : loaded->dkim_keys) key_domains.push_back(k.domain);
    arc = loaded->arc.enabled;
  }
  if (settings.authserv_id.empty()) settings.authserv_id = hostname;
  const std::string mail_from = o.mail_from == "<>" ? std::string() : o.mail_from;
  const core::Message message(read_message_from_stdin());

  asio::io_context io;
  auto resolver = offline_resolver(io.get_executor(), o.dns_server, o.zone_files);
  if (!resolver) {
    fmt::print(stderr, "{}\n", resolver.error());
    return 2;
  }
  asio::thread_pool workers(1);
  const auth::DkimVerifier dkim;
  auth::SpfHelperPoolOptions spf_options;
  spf_options.pool_size = 1;
  spf_options.check_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings.spf_timeout);
  spf_options.rec_dom = hostname;
  std::optional<auth::SpfHelperPool> spf(std::in_place, io.get_executor(), *resolver, spf_options);
  const auth::AuthServices services{resolver->get(), &*spf, &dkim, &workers, settings.lookup_timeout};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  std::optional<auth::AuthResults> results;
  asio::co_spawn(io, auth::authenticate(services, auth::AuthRequest{o.client_ip, o.helo, mail_from}, message, now),
                 [&results](std::exception_ptr e, auth::AuthResults r) {
                   if (!e) results = std::move(r);
                 });
  io.run();
  spf.reset();  // kills and reaps the helper, drops its share of the resolver
  resolver->reset();  // before the io_context it runs on
  io.restart();
  io.run();
  if (!results) {
    fmt::print(stderr, "the checks did not complete\n");
    return 2;
  }
  const auto vouch = auth::trusted_dmarc_pass(message, results->arc, settings.trusted_arc_sealers,
                                                results->dmarc.from_domain);
  const auth::EnforcementPolicy policy{settings.dmarc_enforce,
                                       settings.quarantine == config::QuarantineAction::reject,
                                       !settings.trusted_arc_sealers.empty()};
  const auth::Enforcement decision = auth::decide(*results, policy, vouch);
  fmt::print("{}", auth::render_authentication_results(*results, settings.authserv_id,
                                                       auth::SmtpIdentities{mail_from, o.helo}));
  if (!results->from_problem.empty()) fmt::print("From: {}\n", results->from_problem);
  const auto& d = results->dmarc;
  fmt::print("DMARC: {} from={} policy={} disposition={}{}{}\n", auth::to_string(d.result), d.from_domain,
             auth::to_string(d.policy), auth::to_string(d.disposition), d.testing ? " (t=y testing)" : "",
             d.reason.empty() ? "" : "; " + d.reason);
  // RFC 9989 §4.10: where the policy came from and the Author Domain's Organizational Domain.
  if (!d.record_domain.empty()) {
    fmt::print("DMARC policy domain: {} ({}'s record, {}=){}\n", d.record_domain, auth::to_string(d.policy_source),
               d.policy_tag, d.org_domain.empty() ? "" : "; organizational domain " + d.org_domain);
  }
  for (const auto& n : d.notes) fmt::print("DMARC record: {}\n", n);
  fmt::print("Action: {}{}\n", action_name(decision.action),
             decision.action == auth::Enforcement::Action::accept ? "" : ": " + decision.reply.summary());
  if (!decision.note.empty()) fmt::print("Note: {}\n", decision.note);
  if (decision.action == auth::Enforcement::Action::accept) {
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const FromRewritePlan rw =
        plan_from_rewrite(message, *results, config::FromRewriteMode::when_needed, reply, key_domains, today,
                          prepended_field_names(arc, !key_domains.empty()));
    fmt::print("From rewrite: {} ({})", rw.decision.rewrite ? "yes" : "no", rw.decision.reason);
    if (rw.decision.rewrite) fmt::print(" -> <{}>", rw.reply_address.str());
    fmt::print("\n");
  }
  return decision.action == auth::Enforcement::Action::accept ? 0 : 1;
}

}  // namespace hikyaku::app
