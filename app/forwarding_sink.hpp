// The message sink of the running relay: routing at RCPT (RFC 5321 §4.1.1.3); at the end of
// DATA the message checked (SPF, DKIM, ARC, DMARC; DESIGN §1 step 4) and forwarded to every
// destination domain at once, with one reply built from what the upstreams said (§1 steps 6-7).
#pragma once
#include <memory>

#include "config/config.hpp"
#include "app/arc_stage.hpp"
#include "auth/dkim_verify.hpp"
#include "auth/results.hpp"
#include "auth/spf_helper_pool.hpp"
#include "app/data_reply.hpp"
#include "app/dmarc_report_recorder.hpp"
#include "app/srs_reversal_throttle.hpp"
#include "app/tls_report_recorder.hpp"
#include "dkim/key_store.hpp"
#include "dkim/signer.hpp"
#include "dns/resolver.hpp"
#include "queue/queue_runner.hpp"
#include "relay/domain_delivery.hpp"
#include "routing/router.hpp"
#include "smtpd/message_sink.hpp"

namespace hikyaku::app {

// What forwarding needs, shared by the sessions of one configuration.
struct ForwardingContext {
  std::shared_ptr<dns::Resolver> resolver;
  relay::DomainDeliveryOptions delivery;
  std::optional<routing::SrsRouting> srs;  // MAIL FROM is rewritten when set
  // [from_rewrite]: the reply addresses a rewritten From gets; unset: no From is rewritten.
  std::optional<routing::ReplyRouting> reply;
  // Failed reversals at RCPT per client (set with srs; counts start afresh on a reload).
  std::shared_ptr<SrsReversalThrottle> srs_throttle;
  // DKIM signing as the forwarding domain (DESIGN §1 step 5): every configured key signs.
  std::shared_ptr<const dkim::KeyStore> dkim_keys;
  const dkim::Signer* signer = nullptr;       // process-wide; null: no signing
  asio::thread_pool* workers = nullptr;       // where signing runs
  asio::thread_pool* spool_workers = nullptr; // where spool files are written (fsync)
  std::optional<ArcSealer> arc;               // [arc] enabled: add our set over the checked chain
  // The checks at end of DATA (DESIGN §1 step 4); null members skip that check.
  std::shared_ptr<auth::SpfHelperPool> spf;   // this configuration's SPF helpers
  const auth::DkimVerifier* dkim_verifier = nullptr;  // process-wide
  // The durable queue (process-wide, on the event-loop thread); null: a mixed outcome cannot
  // be kept and is answered as if the spool were full.
  queue::QueueRunner* queue = nullptr;
  // Each DMARC evaluation recorded for the aggregate reports (RFC 9990; process-wide); null:
  // none recorded. [reports] dmarc_reports of the configuration in force switches it.
  DmarcReportRecorder* dmarc_reports = nullptr;
  // RFC 8460: every delivery's TLS sessions counted for the daily reports; null: off.
  std::shared_ptr<TlsReportRecorder> tls_reports;
};

struct FanOut;  // the destinations of one message being delivered (forwarding_sink.cpp)

class ForwardingSink : public smtpd::MessageSink {
 public:
  ForwardingSink(std::shared_ptr<const config::Config> config,
                 std::shared_ptr<const routing::Router> router,
                 std::shared_ptr<const ForwardingContext> forwarding)
      : config_(std::move(config)), router_(std::move(router)), forwarding_(std::move(forwarding)) {}

  // DNSBL check of the client ([auth] dnsbl).
  asio::awaitable<std::optional<core::SmtpReply>> on_connect(const core::SessionInfo& session) override;
  asio::awaitable<core::SmtpReply> on_rcpt(const core::Envelope& env,
                                           const core::Address& rcpt) override;
  asio::awaitable<core::SmtpReply> on_message(const core::Envelope& env,
                                              const core::Message& msg) override;

 private:
  // The DKIM-Signature fields for `message` (empty when no key is configured); nullopt when
  // signing failed. `body_hash`: the relaxed body hash, shared by every signature over this body
  // (taken here, on a worker, when still empty).
  asio::awaitable<std::optional<std::string>> sign(const core::Message& message,
                                                   std::optional<auth::BodyHash>& body_hash) const;
  // The ARC set to prepend (empty when ARC is off or the chain already failed): `chain` is the
  // incoming chain as checked, sealed over `outgoing` (with our trace and A-R fields).
  // `body_hash` as for sign(): filled here when ARC seals.
  asio::awaitable<std::string> arc_set(const auth::ArcResult& chain, const core::Message& outgoing,
                                       const std::string& transaction_id,
                                       std::optional<auth::BodyHash>& body_hash) const;
  // SPF, DKIM, ARC and DMARC over the message as received.
  asio::awaitable<auth::AuthResults> authenticate(const core::Envelope& env, const core::Message& msg) const;
  // A mixed outcome (DESIGN §1 step 7): the undelivered part and the DSN for refused
  // recipients written to the spool, then the 250; or the spool's failure reply. `spf` is the
  // session's RFC 7208 result word for MAIL FROM, kept with the entry (no DSN after "fail").
  asio::awaitable<core::SmtpReply> queue_the_rest(const core::Envelope& env,
                                                  const core::Address& sender,
                                                  std::shared_ptr<const core::Message> message,
                                                  const DataReply& result,
                                                  std::shared_ptr<FanOut> fan_out,
                                                  std::string spf);

  // Why the spool's file system is below [queue] min_free_space / min_free_inodes ("" when not).
  std::string spool_space_problem() const;

  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<const routing::Router> router_;
  std::shared_ptr<const ForwardingContext> forwarding_;
};

}  // namespace hikyaku::app
