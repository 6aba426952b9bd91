// ForwardingSink: route at RCPT; at end of DATA authenticate and enforce DMARC, prepend
// Authentication-Results and Received:, seal and sign, deliver to every destination domain
// concurrently on this session's executor, compose the one DATA reply, log the outcome.
#include "app/forwarding_sink.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <random>

#include "app/auth_stage.hpp"
#include "app/data_reply.hpp"
#include "auth/authentication_results.hpp"
#include "auth/authenticator.hpp"
#include "auth/arc_vouch.hpp"
#include "auth/dnsbl.hpp"
#include "app/delivery_plan.hpp"
#include "app/outcome_log.hpp"
#include "app/received_header.hpp"
#include "core/run_on_workers.hpp"
#include "relay/commit_gate.hpp"
#include "srs/srs.hpp"

namespace hikyaku::app {

namespace {

// Runs every destination's delivery concurrently on `executor` and waits for all of them.
// With several destinations the transactions commit together (relay/commit_gate): each holds
// its final "." until all are ready, so a message is delivered everywhere or nowhere, except
// when upstreams answer the dot differently.
asio::awaitable<std::vector<relay::DomainOutcome>> deliver_all(
    asio::any_io_executor executor, const ForwardingContext& fwd, const DeliveryPlan& plan,
    const core::Envelope& env, const core::Address& sender,
    std::shared_ptr<const core::Message> message, std::chrono::milliseconds commit_timeout) {
  auto make_tx = [&](const DestinationGroup& group) {
    relay::OutboundTransaction tx;
    tx.mail_from = sender;
    tx.recipients = group.recipients;
    tx.message = message;
    tx.smtputf8 = env.smtputf8;
    tx.eight_bit = env.body == core::BodyType::eight_bit_mime;
    return tx;
  };
  std::vector<relay::DomainOutcome> outcomes(plan.groups.size());
  if (plan.groups.size() == 1) {
    outcomes[0] = co_await relay::deliver_to_domain(executor, *fwd.resolver, plan.groups[0].domain,
                                                    make_tx(plan.groups[0]), fwd.delivery);
    co_return outcomes;
  }
  auto gate = std::make_shared<relay::CommitGate>(executor, plan.groups.size());
  // Held transactions are dropped (451 to the sender) when not all are ready in time.
  auto deadline = std::make_shared<asio::steady_timer>(executor, commit_timeout);
  deadline->async_wait([gate](boost::system::error_code ec) {
    if (!ec) gate->abort();
  });
  // Fan out, then wait: a timer that never expires is cancelled by the last one to finish.
  auto remaining = std::make_shared<size_t>(plan.groups.size());
  auto done = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    auto tx = make_tx(plan.groups[i]);
    auto party = gate->join();
    tx.hold = party;
    asio::co_spawn(
        executor,
        relay::deliver_to_domain(executor, *fwd.resolver, plan.groups[i].domain, std::move(tx),
                                 fwd.delivery),
        [&outcomes, i, remaining, done, party](std::exception_ptr e, relay::DomainOutcome outcome) {
          // A delivery that ended without reaching its final "." releases the others (abort).
          party->withdraw();
          if (e) {
            // A bug, not a mail outcome: fill_missing() makes this group temporary.
            outcome.decided.result.recipients.clear();
          }
          outcomes[i] = std::move(outcome);
          if (--*remaining == 0) done->cancel();
        });
  }
  boost::system::error_code ec;
  co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  deadline->cancel();
  co_return outcomes;
}

// A group whose delivery ended without a per-recipient result (an internal error) counts as a
// temporary failure for each of its recipients, never as delivered.
void fill_missing(const DeliveryPlan& plan, std::vector<relay::DomainOutcome>& outcomes) {
  for (size_t i = 0; i < outcomes.size(); ++i) {
    auto& recipients = outcomes[i].decided.result.recipients;
    if (recipients.size() == plan.groups[i].recipients.size()) continue;
    recipients.clear();
    outcomes[i].domain = plan.groups[i].domain;
    for (const auto& r : plan.groups[i].recipients) {
      recipients.push_back({r, core::SmtpReply::make(451, "4.3.0", "Error: internal error"), false});
    }
  }
}

// The envelope sender the destinations see: SRS-rewritten so their SPF check of it passes
// (DESIGN §1 step 5); the null sender stays null (RFC 5321 §4.5.5).
core::Address outbound_sender(const ForwardingContext& fwd, const core::Envelope& env) {
  if (!fwd.srs || env.mail_from.is_null()) return env.mail_from;
  auto rewritten = srs::forward(env.mail_from, fwd.srs->keys, fwd.srs->domain, fwd.srs->today());
  if (rewritten) return *rewritten;
  // too_long and the like: forward with the original sender rather than refuse the mail.
  spdlog::warn("{}: SRS rewrite of <{}> failed ({}); forwarding with the original sender",
               env.transaction_id, env.mail_from.str(), srs::describe(rewritten.error()));
  return env.mail_from;
}

}  // namespace

asio::awaitable<std::string> ForwardingSink::arc_set(const auth::ArcResult& chain,
                                                     const core::Message& outgoing,
                                                     const std::string& transaction_id) const {
  const auto& fwd = *forwarding_;
  if (!fwd.arc || !fwd.workers) co_return std::string();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  struct Sealed {
    std::string fields;
    std::string error;
  };
  // A named task, not a temporary in the co_await expression (see sign()).
  auto task = [&sealer = *fwd.arc, &outgoing, chain, now] {
    Sealed out;
    auto fields = seal_arc(sealer, outgoing, chain, now);
    if (fields) {
      out.fields = std::move(*fields);
    } else {
      out.error = fields.error();
    }
    return out;
  };
  Sealed sealed = co_await run_on_workers<Sealed>(*fwd.workers, std::move(task));
  if (!sealed.error.empty()) {
    // ARC is advisory for the receiver: forward unsealed rather than refuse the mail.
    spdlog::warn("{}: no ARC seal added ({}); incoming chain cv={}", transaction_id, sealed.error,
                 auth::to_string(chain.cv));
    co_return std::string();
  }
  spdlog::info("{}: arc=sealed incoming cv={} instances={}", transaction_id, auth::to_string(chain.cv),
               chain.instances);
  co_return sealed.fields;
}

asio::awaitable<auth::AuthResults> ForwardingSink::authenticate(const core::Envelope& env,
                                                                 const core::Message& msg) const {
  const auto& fwd = *forwarding_;
  const auth::AuthServices services{fwd.resolver.get(), fwd.spf.get(), fwd.dkim_verifier, fwd.workers};
  const auth::AuthRequest request{env.session.client_ip, env.session.helo,
                                  env.mail_from.is_null() ? std::string() : env.mail_from.str()};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  thread_local std::mt19937 random{std::random_device{}()};
  const int pct_roll = std::uniform_int_distribution<int>(0, 99)(random);
  co_return co_await auth::authenticate(services, request, msg, now, pct_roll);
}

asio::awaitable<std::optional<std::string>> ForwardingSink::sign(const core::Message& message) const {
  const auto& fwd = *forwarding_;
  if (!fwd.signer || !fwd.workers || !fwd.dkim_keys || fwd.dkim_keys->empty()) co_return std::string();
  std::vector<const dkim::SigningKey*> keys;
  for (const auto& k : fwd.dkim_keys->keys()) keys.push_back(&k);
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  struct Signed {
    std::string fields;
    std::string error;
  };
  // The key store and message outlive the wait: this coroutine holds both until it resumes.
  // The task is a named local, not a temporary in the co_await expression: g++ 12 destroys
  // such temporaries twice (seen here as a double free under ASan).
  auto task = [signer = fwd.signer, &message, keys = std::move(keys), now, store = fwd.dkim_keys] {
    Signed out;
    auto fields = signer->sign_all(message, keys, now);
    if (!fields) {
      out.error = fields.error().detail;
      return out;
    }
    for (const auto& f : *fields) out.fields += f;
    return out;
  };
  Signed result = co_await run_on_workers<Signed>(*fwd.workers, std::move(task));
  if (!result.error.empty()) {
    spdlog::error("DKIM signing failed: {}", result.error);
    co_return std::nullopt;
  }
  co_return result.fields;
}

asio::awaitable<std::optional<core::SmtpReply>> ForwardingSink::on_connect(
    const core::SessionInfo& session) {
  const auto& zones = config_->auth.dnsbl;
  if (zones.empty()) co_return std::nullopt;
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(session.client_ip, ec);
  if (ec) co_return std::nullopt;
  auto listing = co_await auth::check_dnsbl(*forwarding_->resolver, ip, zones);
  if (!listing) co_return std::nullopt;
  spdlog::info("{}: client [{}] listed in {} ({})", session.session_id, session.client_ip,
               listing->zone, listing->answer);
  co_return auth::dnsbl_reply(session.client_ip, *listing);
}

asio::awaitable<core::SmtpReply> ForwardingSink::on_rcpt(const core::Envelope& env,
                                                         const core::Address& rcpt) {
  auto decision = router_->route(env, rcpt);
  log_recipient_decision(env, rcpt, decision);
  co_return decision.reply;
}

asio::awaitable<core::SmtpReply> ForwardingSink::on_message(const core::Envelope& env,
                                                            const core::Message& msg) {
  const auto start = std::chrono::steady_clock::now();
  const DeliveryPlan plan = plan_delivery(env, *router_);
  if (plan.empty()) {
    auto reply = core::SmtpReply::make(250, "2.0.0", "Ok: " + env.transaction_id + " accepted and discarded");
    log_outcome(env, msg, reply, "discarded", std::chrono::steady_clock::now() - start);
    co_return reply;
  }
  // DESIGN §1 step 4: judge the message as received, before anything of ours is added.
  const auth::AuthResults auth_results = co_await authenticate(env, msg);
  const auto vouch = auth::trusted_dmarc_pass(msg, auth_results.arc, config_->auth.trusted_arc_sealers);
  const auth::Enforcement decision =
      auth::decide(auth_results, enforcement_policy(config_->auth, *router_, env), vouch);
  log_auth(env, auth_results, decision);
  if (decision.action != auth::Enforcement::Action::accept) {
    const bool refused = decision.action == auth::Enforcement::Action::refuse;
    log_outcome(env, msg, decision.reply, refused ? "refused" : "deferred", std::chrono::steady_clock::now() - start);
    co_return decision.reply;
  }
  // RFC 5321 §4.4: a relay prepends its trace field, and RFC 8601 §5 our Authentication-Results
  // above it, after removing any that claim our authserv-id. The body and the author's headers
  // stay as they are, so the author's own DKIM signature still verifies downstream.
  const auth::SmtpIdentities identities{env.mail_from.is_null() ? std::string() : env.mail_from.str(),
                                        env.session.helo};
  std::string prefix =
      auth::render_authentication_results(auth_results, config_->auth.authserv_id, identities) +
      received_header(env, config_->server.hostname, std::chrono::system_clock::now());
  auto message = std::make_shared<const core::Message>(
      prefix + auth::remove_authentication_results(msg, config_->auth.authserv_id));
  // DESIGN §1 step 5 order: ARC set, then the DKIM signatures on top of it.
  if (std::string arc = co_await arc_set(auth_results.arc, *message, env.transaction_id); !arc.empty()) {
    message = std::make_shared<const core::Message>(arc + message->raw());
  }
  if (auto signatures = co_await sign(*message); !signatures) {
    auto reply = core::SmtpReply::make(451, "4.3.0", "Error: signing failed, try again later");
    log_outcome(env, msg, reply, "deferred", std::chrono::steady_clock::now() - start);
    co_return reply;
  } else if (!signatures->empty()) {
    message = std::make_shared<const core::Message>(*signatures + message->raw());
  }
  auto executor = co_await asio::this_coro::executor;
  const core::Address sender = outbound_sender(*forwarding_, env);
  auto outcomes = co_await deliver_all(executor, *forwarding_, plan, env, sender, message,
                                       config_->relay.commit_timeout);
  fill_missing(plan, outcomes);
  const DataReply result = compose_data_reply(outcomes, env.transaction_id);
  log_delivery(env, msg, sender, outcomes, result.reply, status_name(result.status),
               std::chrono::steady_clock::now() - start);
  if (result.status == MessageStatus::partial_deferred || result.status == MessageStatus::partial_refused) {
    spdlog::warn("{}: PARTIAL DELIVERY: some destinations accepted the message and others did not; "
                 "replied {}", env.transaction_id, result.reply.summary());
  }
  co_return result.reply;
}

}  // namespace hikyaku::app
