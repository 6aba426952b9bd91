// authenticate(): the SPF check runs in its helper while the DKIM and ARC keys and the DMARC
// record are fetched (the RFC 9989 §4.10 Tree Walk); the signature checks run on the worker
// pool; DMARC (RFC 9989 §5.3) is decided last from the SPF MAIL FROM result and the DKIM results,
// after the Tree Walks relaxed alignment needs (§4.10.2).
#include "auth/authenticator.hpp"

#include <memory>
#include <optional>

#include "auth/arc_chain.hpp"
#include "auth/dkim_key_fetch.hpp"
#include "auth/dmarc_evaluate.hpp"
#include "auth/dmarc_lookup.hpp"
#include "auth/from_domain.hpp"
#include "core/run_on_workers.hpp"

namespace hikyaku::auth {

namespace {

SpfVerdict spf_not_checked(const AuthRequest& request) {
  SpfVerdict v;
  v.mail_from.identity = request.mail_from;
  v.mail_from.reason = "not checked";
  v.helo.identity = request.helo;
  v.helo.reason = "not checked";
  return v;
}

// The SPF check, started before the other lookups and awaited after them.
class PendingSpf {
 public:
  PendingSpf(asio::any_io_executor executor, SpfHelperPool& pool, const AuthRequest& request)
      : state_(std::make_shared<State>(executor)) {
    auto state = state_;
    auto task = pool.check(SpfRequest{request.client_ip, request.helo, request.mail_from});
    asio::co_spawn(executor, std::move(task),
                   [state, request](std::exception_ptr e, SpfVerdict verdict) {
                     if (e) {
                       verdict = spf_not_checked(request);
                       verdict.mail_from.result = verdict.helo.result = SpfResult::temperror;
                       verdict.mail_from.reason = verdict.helo.reason = "internal error";
                     }
                     state->verdict = std::move(verdict);
                     state->done.cancel();
                   });
  }

  asio::awaitable<SpfVerdict> wait() {
    if (!state_->verdict) {
      boost::system::error_code ec;
      co_await state_->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*state_->verdict);
  }

 private:
  struct State {
    explicit State(asio::any_io_executor executor) : done(executor, asio::steady_timer::time_point::max()) {}
    asio::steady_timer done;
    std::optional<SpfVerdict> verdict;
  };
  std::shared_ptr<State> state_;
};

// now + budget, saturating: a configured budget of years must not overflow the clock.
std::chrono::steady_clock::time_point lookup_deadline(std::chrono::milliseconds budget) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  if (budget >= std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - start)) {
    return Clock::time_point::max();
  }
  return start + budget;
}

}  // namespace

asio::awaitable<AuthResults> authenticate(const AuthServices& services, AuthRequest request,
                                          const core::Message& message, int64_t now) {
  AuthResults results;
  auto from = from_domain(message);
  if (!from) {
    // RFC 9989 §5.3.1: without one Author Domain there is nothing to check DMARC against; the
    // message is refused, so the other checks are not worth their lookups.
    results.from_problem = describe(from.error());
    results.spf = spf_not_checked(request);
    co_return results;
  }
  auto executor = co_await asio::this_coro::executor;
  std::optional<PendingSpf> spf;
  if (services.spf) spf.emplace(executor, *services.spf, request);

  // Lookups one after another while SPF runs; the resolver's timeout bounds each one and
  // `lookup_budget` all of them (a lookup due after it is a temperror, not made).
  // (No co_await inside ?: here: g++ 12 destroys the temporaries of such an expression twice.)
  const auto deadline = lookup_deadline(services.lookup_budget);
  DkimKeyRecords dkim_keys;
  if (services.dkim) dkim_keys = co_await fetch_dkim_keys(*services.resolver, message, deadline);
  const ArcKeyRecords arc_keys = co_await fetch_arc_keys(*services.resolver, message, deadline);
  const DmarcRecordLookup dmarc_record = co_await fetch_dmarc_record(*services.resolver, *from, deadline);

  struct Signatures {
    DkimVerdict dkim;
    ArcResult arc;
  };
  // A named task, not a temporary in the co_await expression (g++ 12, see core/run_on_workers.hpp).
  auto check_signatures = [&services, &message, &dkim_keys, &arc_keys, now] {
    Signatures out;
    if (services.dkim) out.dkim = services.dkim->verify(message, dkim_keys, now);
    out.arc = verify_arc_with(message, arc_keys);
    return out;
  };
  Signatures signatures = co_await run_on_workers<Signatures>(*services.workers, std::move(check_signatures));
  results.dkim = std::move(signatures.dkim);
  results.arc = std::move(signatures.arc);
  if (spf) {
    results.spf = co_await spf->wait();
  } else {
    results.spf = spf_not_checked(request);
  }
  results.dmarc = co_await evaluate_dmarc(*services.resolver, *from, dmarc_record, results.spf, results.dkim,
                                         deadline);
  co_return results;
}

}  // namespace hikyaku::auth
