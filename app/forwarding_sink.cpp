// ForwardingSink: route at RCPT; at end of DATA authenticate and enforce DMARC, prepend
// Authentication-Results and Received:, seal and sign, deliver to every destination domain
// concurrently on this session's executor, compose the one DATA reply, log the outcome.
#include "app/forwarding_sink.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <set>


#include "app/auth_stage.hpp"
#include "app/data_reply.hpp"
#include "auth/authentication_results.hpp"
#include "auth/authenticator.hpp"
#include "auth/arc_vouch.hpp"
#include "auth/dnsbl.hpp"
#include "app/delivery_plan.hpp"
#include "app/from_rewrite.hpp"
#include "app/queue_delivery.hpp"
#include "app/message_metrics.hpp"
#include "app/outcome_log.hpp"
#include "metrics/catalog.hpp"
#include "app/received_header.hpp"
#include "core/ascii.hpp"
#include "core/client_key.hpp"
#include "core/run_on_workers.hpp"
#include "queue/bounce.hpp"
#include "queue/free_space.hpp"
#include "relay/commit_gate.hpp"
#include "srs/srs.hpp"

namespace hikyaku::app {

namespace {

// A group whose delivery ended without a per-recipient result (an internal error) counts as a
// temporary failure for each of its recipients, never as delivered.
void fill_missing(const DestinationGroup& group, relay::DomainOutcome& outcome, const core::SmtpReply& reply) {
  auto& recipients = outcome.decided.result.recipients;
  if (recipients.size() == group.recipients.size()) return;
  recipients.clear();
  outcome.domain = group.domain;
  for (const auto& r : group.recipients) recipients.push_back({r, reply, false});
}

}  // namespace

// Every destination's delivery of one message, shared by the session and the deliveries so a
// delivery still running when the session moves on (the budget passed) can hand its result to
// the queue.
struct FanOut {
  explicit FanOut(asio::any_io_executor executor, size_t n)
      : outcomes(n), finished(n, false), remaining(n),
        done(executor, asio::steady_timer::time_point::max()) {}
  std::vector<relay::DomainOutcome> outcomes;
  std::vector<std::string> domains;  // the plan's, by index
  std::vector<bool> finished;
  std::vector<bool> unfinished;      // still running when the session composed its reply
  size_t remaining;
  asio::steady_timer done;  // cancelled when the last delivery ends or the budget passes
  // Set once the unfinished deliveries belong to the queue: each late outcome goes here.
  std::function<void(size_t, relay::DomainOutcome)> late;
  // Every transaction holds its final "." here (relay/commit_gate). Past the budget those not
  // yet through wait for the spool's verdict: settle_late(true) once the rest is queued,
  // settle_late(false) when it cannot be (the sender gets 4xx/554, so no upstream may get it).
  std::shared_ptr<relay::CommitGate> gate;
};

namespace {

// Gives the deliveries still holding their dot the spool's verdict when the session's reply is
// settled, on every path out (an exception included): no transaction waits forever.
struct LateVerdict {
  explicit LateVerdict(std::shared_ptr<relay::CommitGate> g) : gate(std::move(g)) {}
  LateVerdict(const LateVerdict&) = delete;
  LateVerdict& operator=(const LateVerdict&) = delete;
  ~LateVerdict() {
    if (gate) gate->settle_late(commit);
  }
  std::shared_ptr<relay::CommitGate> gate;
  bool commit = false;
};

// Runs every destination's delivery concurrently on `executor` and waits for all of them, or
// until `budget` has passed (those still running keep running; their results go to
// FanOut::late). The transactions commit together (relay/commit_gate): each holds its final
// "." until every other one is ready or has failed; one destination's failure never holds back
// the others (the failed part is queued or bounced). Past the budget no transaction sends its
// "." before the session has settled the gate's late verdict (the rest queued, or not).
asio::awaitable<std::shared_ptr<FanOut>> deliver_all(
    asio::any_io_executor executor, std::shared_ptr<const ForwardingContext> fwd,
    const DeliveryPlan& plan, const core::Envelope& env, const core::Address& sender,
    std::shared_ptr<const core::Message> message, std::chrono::milliseconds commit_timeout,
    std::chrono::milliseconds budget) {
  auto state = std::make_shared<FanOut>(executor, plan.groups.size());
  for (const auto& g : plan.groups) state->domains.push_back(g.domain);
  // One destination too: its dot must wait for the spool's verdict once the budget has passed.
  auto gate = std::make_shared<relay::CommitGate>(executor, plan.groups.size());
  state->gate = gate;
  std::shared_ptr<asio::steady_timer> deadline;
  if (plan.groups.size() > 1) {
    // Those ready commit when the others take too long (the others commit when they get there).
    deadline = std::make_shared<asio::steady_timer>(executor, commit_timeout);
    deadline->async_wait([gate](boost::system::error_code ec) {
      if (!ec) gate->release();
    });
  }
  // At the budget nothing undecided is committed (a gate of several aborts), a transaction not
  // yet through waits for the spool's verdict, and the session moves on.
  auto over_budget = std::make_shared<asio::steady_timer>(executor, budget);
  over_budget->async_wait([state, gate](boost::system::error_code ec) {
    if (ec) return;
    if (gate->parties() > 1) gate->abort();
    gate->hold_late();
    state->done.cancel();
  });
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    relay::OutboundTransaction tx;
    tx.mail_from = sender;
    tx.recipients = plan.groups[i].recipients;
    tx.message = message;
    tx.smtputf8 = env.smtputf8;
    tx.eight_bit = env.body == core::BodyType::eight_bit_mime;
    std::shared_ptr<relay::CommitParty> party = gate->join();
    tx.hold = party;
    asio::co_spawn(
        executor,
        relay::deliver_to_domain(executor, *fwd->resolver, plan.groups[i].domain, std::move(tx),
                                 fwd->delivery),
        [state, i, party, fwd, executor](std::exception_ptr e, relay::DomainOutcome outcome) {
          // A delivery that ended without reaching its final "." releases the others (abort).
          party->withdraw();
          if (e) {
            // A bug, not a mail outcome: fill_missing() makes this group temporary.
            outcome.decided.result.recipients.clear();
          } else if (fwd->tls_reports) {
            fwd->tls_reports->observe(executor, fwd->resolver, outcome);  // RFC 8460
          }
          if (state->late) return state->late(i, std::move(outcome));
          state->outcomes[i] = std::move(outcome);
          state->finished[i] = true;
          if (--state->remaining == 0) state->done.cancel();
        });
  }
  boost::system::error_code ec;
  co_await state->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  over_budget->cancel();
  if (deadline) deadline->cancel();
  co_return state;
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
                                                     const std::string& transaction_id,
                                                     std::optional<auth::BodyHash>& body_hash) const {
  const auto& fwd = *forwarding_;
  if (!fwd.arc || !fwd.workers) co_return std::string();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  struct Sealed {
    std::string fields;
    std::string error;
  };
  // A named task, not a temporary in the co_await expression (see sign()).
  // body_hash is this coroutine's caller's, untouched until the task is done.
  auto task = [&sealer = *fwd.arc, &outgoing, chain, now, &body_hash] {
    Sealed out;
    if (!body_hash) body_hash = auth::body_hash(auth::Canon::relaxed, outgoing.body());
    auto fields = seal_arc(sealer, outgoing, chain, now, &*body_hash);
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
  const auth::AuthServices services{fwd.resolver.get(), fwd.spf.get(), fwd.dkim_verifier, fwd.workers,
                                    config_->auth.lookup_timeout};
  const auth::AuthRequest request{env.session.client_ip, env.session.helo,
                                  env.mail_from.is_null() ? std::string() : env.mail_from.str()};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  co_return co_await auth::authenticate(services, request, msg, now);
}

asio::awaitable<std::optional<std::string>> ForwardingSink::sign(
    const core::Message& message, std::optional<auth::BodyHash>& body_hash) const {
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
  auto task = [signer = fwd.signer, &message, keys = std::move(keys), now, store = fwd.dkim_keys,
               &body_hash] {
    Signed out;
    if (!body_hash) body_hash = auth::body_hash(auth::Canon::relaxed, message.body());
    auto fields = signer->sign_all(message, keys, now, &*body_hash);
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

std::string ForwardingSink::spool_space_problem() const {
  const auto& q = config_->queue;
  const std::string& directory = forwarding_->queue ? forwarding_->queue->options().directory : q.directory;
  return queue::spool_space_problem(directory, queue::SpaceFloor{q.min_free_space, q.min_free_inodes});
}

asio::awaitable<core::SmtpReply> ForwardingSink::on_rcpt(const core::Envelope& env,
                                                         const core::Address& rcpt) {
  // Below the spool's free-space floor no new mail is taken (RFC 3463 §3.4: 4.3.1), whether or
  // not it would need the spool: the sender keeps it and retries.
  if (const std::string why = spool_space_problem(); !why.empty()) {
    spdlog::warn("{}: RCPT <{}> deferred: {}", env.transaction_id, rcpt.str(), why);
    co_return queue::insufficient_storage_reply();
  }
  const auto& fwd = *forwarding_;
  const bool srs_rcpt = fwd.srs && fwd.srs_throttle && core::ascii_iequals(rcpt.domain, fwd.srs->domain);
  const std::string client = srs_rcpt ? core::client_key(env.session.client_ip) : std::string();
  const auto now = SrsReversalThrottle::Clock::now();
  if (srs_rcpt && fwd.srs_throttle->blocked(client, now)) {
    // Past [srs] max_failed_reversals: no more answers that would tell a guessed hash from a
    // wrong one, for the rest of the window. 450 (RFC 3463 4.7.1): a genuine bounce is retried.
    spdlog::warn("{}: RCPT <{}> from [{}] refused: {} or more failed SRS reversals from {}",
                 env.transaction_id, rcpt.str(), env.session.client_ip,
                 fwd.srs_throttle->max_failures(), client);
    co_return core::SmtpReply::make(450, "4.7.1",
                                    "Too many invalid SRS addresses from your address, try again later");
  }
  auto decision = router_->route(env, rcpt);
  log_recipient_decision(env, rcpt, decision);
  if (srs_rcpt && decision.srs_reversal_failed) {
    const auto failures = fwd.srs_throttle->record_failure(client, now);
    spdlog::info("{}: failed SRS reversal {} of {} allowed from {}", env.transaction_id, failures,
                 fwd.srs_throttle->max_failures(), client);
  }
  co_return decision.reply;
}

asio::awaitable<core::SmtpReply> ForwardingSink::on_message(const core::Envelope& env,
                                                            const core::Message& msg) {
  const auto start = std::chrono::steady_clock::now();
  const DeliveryPlan plan = plan_delivery(env, *router_);
  if (plan.empty()) {
    // As Postfix's DISCARD: the sender is told what any accepted message is told; only the log
    // says status=discarded (a drop rule is the operator's business, not the sender's).
    auto reply = core::SmtpReply::make(250, "2.0.0", "Ok: queued as " + env.transaction_id);
    log_outcome(env, msg, reply, "discarded", std::chrono::steady_clock::now() - start);
    co_return reply;
  }
  // The floor again at the end of DATA (the disk may have filled since RCPT): 452 4.3.1 before
  // anything is delivered or written.
  if (const std::string why = spool_space_problem(); !why.empty()) {
    auto reply = queue::insufficient_storage_reply();
    spdlog::warn("{}: message deferred: {}", env.transaction_id, why);
    log_outcome(env, msg, reply, "deferred", std::chrono::steady_clock::now() - start);
    co_return reply;
  }
  // DESIGN §1 step 4: judge the message as received, before anything of ours is added.
  const auth::AuthResults auth_results = co_await authenticate(env, msg);
  const auto vouch = auth::trusted_dmarc_pass(msg, auth_results.arc, config_->auth.trusted_arc_sealers,
                                              auth_results.dmarc.from_domain);
  const auth::EnforcementPolicy enforcement = enforcement_policy(config_->auth, *router_, env);
  const auth::Enforcement decision = auth::decide(auth_results, enforcement, vouch);
  log_auth(env, auth_results, decision);
  // RFC 9990: every message evaluated, accepted or refused, counts in the day's report.
  if (forwarding_->dmarc_reports && config_->reports.dmarc_reports) {
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
    forwarding_->dmarc_reports->record(env, auth_results, decision, enforcement, vouch, now_s);
  }
  count_auth(auth_results);
  metrics::process().policy_actions.with({decision.action == auth::Enforcement::Action::accept   ? "accept"
                                          : decision.action == auth::Enforcement::Action::refuse ? "refuse"
                                                                                                 : "defer"}).inc();
  if (decision.action != auth::Enforcement::Action::accept) {
    const bool refused = decision.action == auth::Enforcement::Action::refuse;
    log_outcome(env, msg, decision.reply, refused ? "refused" : "deferred", std::chrono::steady_clock::now() - start);
    co_return decision.reply;
  }
  // From rewriting (RFC 7960 §3.2.3), before anything of ours is added: the ARC set and our
  // DKIM signatures below then cover the rewritten From, whose domain our keys align with.
  std::vector<std::string> key_domains;
  if (forwarding_->dkim_keys && forwarding_->signer) {
    for (const auto& key : forwarding_->dkim_keys->keys()) key_domains.push_back(key.domain());
  }
  const auto today = forwarding_->reply ? forwarding_->reply->today()
                                        : std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::vector<std::string> prepended = prepended_field_names(forwarding_->arc.has_value(), !key_domains.empty());
  const FromRewritePlan from_plan =
      plan_from_rewrite(msg, auth_results, plan.from_rewrite, forwarding_->reply, key_domains, today, prepended);
  std::optional<core::Message> rewritten;
  if (from_plan.rewritten) {
    rewritten.emplace(*from_plan.rewritten);
    spdlog::info("{}: from rewritten ({}): <{}> -> <{}>", env.transaction_id, from_plan.decision.reason,
                 log_safe(from_plan.author->address.str()), from_plan.reply_address.str());
  }
  const core::Message& source = rewritten ? *rewritten : msg;
  const std::string_view rewrite_reason = from_plan.decision.reason;
  // RFC 5321 §4.4: a relay prepends its trace field, and RFC 8601 §5 our Authentication-Results
  // above it, after removing any that claim our authserv-id. The body and the author's headers
  // stay as they are (unless the From is rewritten above), so the author's own DKIM signature
  // still verifies downstream.
  const auth::SmtpIdentities identities{env.mail_from.is_null() ? std::string() : env.mail_from.str(),
                                        env.session.helo};
  std::string prefix =
      auth::render_authentication_results(auth_results, config_->auth.authserv_id, identities,
                                          from_plan.rewritten ? rewrite_reason : std::string_view()) +
      received_header(env, config_->server.hostname, std::chrono::system_clock::now());
  // The one copy of the message after DATA: our fields and the message (less any
  // Authentication-Results claiming our authserv-id) in one buffer with room for the ARC set and
  // the DKIM signatures, which are then inserted in place.
  constexpr size_t kRoomForOurFields = 64 * 1024;
  std::string raw;
  raw.reserve(prefix.size() + source.size() + kRoomForOurFields);
  raw += prefix;
  auth::append_without_authentication_results(source, config_->auth.authserv_id, raw);
  core::Message outgoing(std::move(raw));
  // DESIGN §1 step 5 order: ARC set, then the DKIM signatures on top of it. The AMS and the
  // DKIM signatures cover the same body, relaxed: it is hashed once for all of them.
  std::optional<auth::BodyHash> body_hash;
  if (std::string arc = co_await arc_set(auth_results.arc, outgoing, env.transaction_id, body_hash);
      !arc.empty()) {
    outgoing = std::move(outgoing).prepend(arc);
  }
  if (auto signatures = co_await sign(outgoing, body_hash); !signatures) {
    auto reply = core::SmtpReply::make(451, "4.3.0", "Error: signing failed, try again later");
    log_outcome(env, msg, reply, "deferred", std::chrono::steady_clock::now() - start, rewrite_reason);
    co_return reply;
  } else if (!signatures->empty()) {
    outgoing = std::move(outgoing).prepend(*signatures);
  }
  auto message = std::make_shared<const core::Message>(std::move(outgoing));
  auto executor = co_await asio::this_coro::executor;
  const core::Address sender = outbound_sender(*forwarding_, env);
  const auto checks = std::chrono::steady_clock::now() - start;  // delays= a
  auto fan_out = co_await deliver_all(executor, forwarding_, plan, env, sender, message,
                                      config_->relay.commit_timeout, config_->queue.session_budget);
  LateVerdict verdict(fan_out->gate);
  std::vector<bool> unfinished(plan.groups.size(), false);
  const auto internal = core::SmtpReply::make(451, "4.3.0", "Error: internal error");
  const auto running = core::SmtpReply::make(451, "4.4.2", "still being delivered at the session budget");
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    unfinished[i] = !fan_out->finished[i];
    fill_missing(plan.groups[i], fan_out->outcomes[i], unfinished[i] ? running : internal);
  }
  fan_out->unfinished = unfinished;
  const DataReply result =
      compose_data_reply(fan_out->outcomes, env.transaction_id, unfinished, plan.originals);
  core::SmtpReply reply = result.reply;
  if (result.status == MessageStatus::queued) {
    std::string spf = auth::to_string(auth_results.spf.mail_from.result);
    reply = co_await queue_the_rest(env, sender, message, result, fan_out, std::move(spf));
  }
  // A delivery still holding its dot goes on only when the sender was told 250 (the queue owns
  // its result); after a 452 or 554 it closes without the dot (no duplicate, no false 554).
  verdict.commit = reply.code / 100 == 2;
  log_delivery(env, msg, sender, fan_out->outcomes, reply,
               result.status == MessageStatus::queued && reply.code / 100 != 2
                   ? std::string_view("spool-failed")
                   : status_name(result.status),
               std::chrono::steady_clock::now() - start, checks, unfinished, rewrite_reason);
  co_return reply;
}

asio::awaitable<core::SmtpReply> ForwardingSink::queue_the_rest(const core::Envelope& env,
                                                                const core::Address& sender,
                                                                std::shared_ptr<const core::Message> message,
                                                                const DataReply& result,
                                                                std::shared_ptr<FanOut> fan_out,
                                                                std::string spf) {
  queue::QueueRunner* runner = forwarding_->queue;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  // While the entry is being written, a delivery that ends fills in fan_out as before; once the
  // entry is adopted those results are handed over below. If nothing can be queued, late
  // results are only logged (the message was not accepted).
  const std::string transaction_id = env.transaction_id;
  auto log_late_results = [fan_out, transaction_id] {
    fan_out->late = [transaction_id](size_t, relay::DomainOutcome o) {
      spdlog::warn("{}: late result from {} not queued: {}", transaction_id, o.domain,
                   o.decided.result.recipients.empty() ? std::string("none")
                                                       : o.decided.result.recipients[0].reply.summary());
    };
  };
  if (!runner) {
    log_late_results();
    co_return spool_failure_reply(result, "no queue configured");
  }
  // The free-space floor, checked again before anything is written (RFC 3463 §3.4: 4.3.1).
  if (const std::string why = spool_space_problem(); !why.empty()) {
    log_late_results();
    spdlog::error("{}: cannot queue the undelivered part: {}", env.transaction_id, why);
    co_return spool_failure_reply(result, why);
  }

  queue::SpoolEntry entry;
  // One id from the first log line to the queue (`hikyaku queue list|delete`): the transaction's,
  // unless an entry of that name is already spooled (a restart reusing a session id).
  entry.queue_id = env.transaction_id;
  if (runner->has(entry.queue_id) || ::access((runner->options().directory + "/" + entry.queue_id).c_str(), F_OK) == 0) {
    entry.queue_id = runner->new_queue_id();
  }
  entry.arrival = now;
  entry.mail_from = env.mail_from.str();
  entry.upstream_from = sender.str_as_sent();
  entry.attempts = 1;
  entry.next_try = queue::next_try_after(runner->options().policy, 1, now, now);
  entry.message = message->raw();
  // Kept for the retries: UTF-8 headers behind an ASCII envelope still need SMTPUTF8 (RFC 6531).
  entry.smtputf8 = env.smtputf8;
  entry.eight_bit = env.body == core::BodyType::eight_bit_mime;
  entry.spf = std::move(spf);  // a DSN to a sender whose SPF failed would be backscatter
  std::set<std::string> in_flight;
  for (const auto& q : result.to_queue) {
    entry.recipients.push_back({q.address, queue::RcptState::pending, q.last_error, q.original});
    if (entry.last_error.empty()) entry.last_error = q.last_error;
    if (q.in_flight) in_flight.insert(q.domain);
  }
  // RFC 3464 / RFC 5321 §6.1: recipients refused for good are reported to the original sender
  // (never for the null sender, RFC 5321 §4.5.5).
  std::optional<queue::SpoolEntry> dsn;
  if (!result.refused.empty() && queue::needs_bounce(entry)) {
    queue::BounceInput in;
    in.hostname = config_->server.hostname;
    in.new_queue_id = runner->new_queue_id();
    in.original = &entry;
    in.now = now;
    for (const auto& r : result.refused) {
      queue::DsnRecipient d;
      d.final_recipient = r.address;
      d.action = queue::DsnAction::failed;
      d.status = queue::dsn_status(r.reply.code, r.reply.enhanced);
      d.remote_mta = r.host;
      d.diagnostic = r.reply.summary();
      d.original_recipient = r.original;
      in.failed.push_back(std::move(d));
    }
    dsn = queue::make_bounce(in);
  }
  // Written on the spool threads (fsync), the DSN first: if the entry then fails, the DSN goes.
  const std::string directory = runner->options().directory;
  std::vector<const queue::SpoolEntry*> to_write;
  if (dsn) to_write.push_back(&*dsn);
  if (!entry.recipients.empty()) to_write.push_back(&entry);
  std::string error;
  size_t written = 0;
  for (const auto* e : to_write) {
    auto task = [directory, e] {
      auto r = queue::QueueRunner::write_new(directory, *e);
      return r ? std::string() : r.error().message;
    };
    if (forwarding_->spool_workers) {
      error = co_await run_on_workers<std::string>(*forwarding_->spool_workers, std::move(task));
    } else {
      error = task();
    }
    if (!error.empty()) break;
    ++written;
  }
  if (!error.empty()) {
    log_late_results();
    // Nothing is claimed: every file of this message goes, including the one whose write
    // failed after its rename (a directory fsync error leaves it in place).
    for (size_t i = 0; i <= written && i < to_write.size(); ++i) {
      ::unlink((directory + "/" + to_write[i]->queue_id).c_str());
    }
    spdlog::error("{}: cannot queue the undelivered part: {}", env.transaction_id, error);
    co_return spool_failure_reply(result, error);
  }
  if (dsn) {
    metrics::process().dsns.with({}).inc();
    spdlog::info("{}: DSN {} queued to <{}> for {} refused recipient(s)", env.transaction_id,
                 dsn->queue_id, entry.mail_from, result.refused.size());
    runner->adopt(std::move(*dsn));
  } else if (!result.refused.empty()) {
    spdlog::info("{}: {} recipient(s) refused; no DSN to <{}>: {}", env.transaction_id,
                 result.refused.size(), entry.mail_from, queue::no_bounce_reason(entry));
  }
  if (entry.recipients.empty()) co_return queued_reply(result, env.transaction_id, "", dsn.has_value());
  const std::string queue_id = entry.queue_id;
  spdlog::info("{}: queued as {} for {} recipient(s), {} still in flight", env.transaction_id,
               queue_id, entry.recipients.size(), in_flight.size());
  runner->adopt(std::move(entry), in_flight);
  // From now on the queue owns the deliveries still under way, including any that ended while
  // the entry was being written.
  for (size_t i = 0; i < fan_out->outcomes.size(); ++i) {
    if (fan_out->unfinished[i] && fan_out->finished[i]) {
      runner->complete_in_flight(queue_id, fan_out->domains[i], to_attempt(fan_out->outcomes[i]));
    }
  }
  fan_out->late = [runner, queue_id, domains = fan_out->domains](size_t i, relay::DomainOutcome o) {
    runner->complete_in_flight(queue_id, domains[i], to_attempt(o));
  };
  co_return queued_reply(result, env.transaction_id, queue_id, dsn.has_value());
}

}  // namespace hikyaku::app
