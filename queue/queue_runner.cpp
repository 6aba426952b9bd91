// QueueRunner: per-entry timers, attempts grouped by destination domain with a concurrency
// limit per domain, throttling backoff, DSNs for failures and expiry, the message read from its
// file per attempt, spool I/O on the dedicated writer when there is one (RFC 5321 §4.5.4.1
// retries, RFC 3464 DSNs).
#include "queue/queue_runner.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/log_fields.hpp"
#include "core/run_on_workers.hpp"
#include "metrics/catalog.hpp"
#include "queue/bounce.hpp"

namespace hikyaku::queue {

struct QueueRunner::Item {
  explicit Item(asio::any_io_executor executor) : timer(std::move(executor)) {}
  SpoolEntry entry;                    // metadata only: `message` stays empty
  std::uint64_t message_bytes = 0;     // the message's size in the spool file
  std::set<std::string> in_flight;     // domains a session is still delivering
  asio::steady_timer timer;
  std::uint64_t generation = 0;        // a timer handler from an older arm() does nothing
  bool running = false;
  bool removed = false;
  bool writing = false;                // a rewrite of its file is under way on the workers
  bool write_again = false;            // the entry changed during that rewrite
  std::vector<DsnRecipient> newly_failed;  // collected during one attempt
};

namespace {

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  std::string d = at == std::string::npos ? std::string() : address.substr(at + 1);
  std::transform(d.begin(), d.end(), d.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return d;
}

std::string reply_text(const std::string& host, const core::SmtpReply& r) {
  std::string text = r.summary();
  return host.empty() ? text : host + " said: " + text;
}

// `fn` on the spool writer, or here when there is none.
template <class R, class F>
asio::awaitable<R> spool_io(asio::thread_pool* writer, F fn) {
  if (writer == nullptr) co_return fn();
  auto op = run_on_workers<R>(*writer, std::move(fn));
  R result = co_await std::move(op);
  co_return result;
}

struct Loaded {
  std::shared_ptr<const std::string> message;
  std::optional<ScanProblem> problem;
};

}  // namespace

struct QueueRunner::Resumed {
  core::Expected<ScanResult, SpoolIoError> scanned = ScanResult{};
  std::vector<ScanProblem> corrupt;
};

QueueRunner::QueueRunner(asio::any_io_executor executor, RunnerOptions options,
                         std::shared_ptr<Delivery> delivery, asio::thread_pool* writer)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      delivery_(std::move(delivery)),
      writer_(writer),
      alive_(std::make_shared<bool>(true)) {}

QueueRunner::~QueueRunner() {
  *alive_ = false;
  stop();
}

std::int64_t QueueRunner::now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string QueueRunner::new_queue_id() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return fmt::format("{:013X}{:04X}{:04X}", micros, ++counter_ & 0xFFFF, rng() & 0xFFFF);
}

IoResult QueueRunner::write_new(const std::string& directory, const SpoolEntry& entry) {
  return write_durably(directory, entry.queue_id, encode(entry));
}

core::Expected<ScanResult, SpoolIoError> QueueRunner::start() {
  if (::mkdir(options_.directory.c_str(), 0700) != 0 && errno != EEXIST) {
    const int err = errno;
    scan_ended_ = true;
    return core::unexpected(SpoolIoError{err, "mkdir " + options_.directory + ": " +
                                                  std::string(std::strerror(err))});
  }
  // An offline `hikyaku queue` verb holds the lock for a moment: wait for it, not for another
  // server on the same spool.
  for (int tries = 0; !lock_.held(); ++tries) {
    auto lock = lock_spool(options_.directory);
    if (lock) {
      lock_ = std::move(*lock);
    } else if (!lock.error().locked_elsewhere() || tries >= 50) {
      SpoolIoError error = lock.error();
      if (error.locked_elsewhere()) error.message += " (is another server using this spool?)";
      scan_ended_ = true;
      return core::unexpected(std::move(error));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (writer_ != nullptr) {
    asio::co_spawn(executor_, resume_spool(), log_failure("queue start"));
    return ScanResult{};
  }
  Resumed resumed;
  resumed.scanned = scan(options_.directory);
  scan_ended_ = true;
  if (!resumed.scanned) return resumed.scanned;
  recover_scanned(options_.directory, *resumed.scanned, started_at_);
  resumed.corrupt = list_corrupt(options_.directory);
  adopt_scanned(resumed);
  return resumed.scanned;
}

asio::awaitable<void> QueueRunner::resume_spool() {
  auto alive = alive_;
  const std::string directory = options_.directory;
  auto task = [directory, started = started_at_] {
    Resumed out;
    out.scanned = scan(directory);
    if (out.scanned) recover_scanned(directory, *out.scanned, started);
    out.corrupt = list_corrupt(directory);
    return out;
  };
  Resumed resumed = co_await spool_io<Resumed>(writer_, std::move(task));
  if (!*alive) co_return;
  scan_ended_ = true;
  if (!resumed.scanned) {
    spdlog::error("queue: cannot read the spool: {}; mixed outcomes will get 452 4.3.1",
                  resumed.scanned.error().message);
    co_return;
  }
  adopt_scanned(resumed);
}

void QueueRunner::adopt_scanned(Resumed& resumed) {
  ScanResult& scanned = *resumed.scanned;
  std::size_t adopted = 0;
  for (auto& s : scanned.entries) {
    if (items_.count(s.entry.queue_id)) continue;  // adopted by its session during the scan
    adopt_sized(std::move(s.entry), {}, s.message_bytes);
    ++adopted;
  }
  for (const auto& p : scanned.problems) {
    spdlog::error("queue: skipped spool file {}: {}", p.name, p.reason);
  }
  corrupt_ = std::move(resumed.corrupt);
  resumed_ = true;
  spdlog::info("queue: {} entr{} resumed from {}, {} file(s) skipped, {} kept aside in {}/", adopted,
               adopted == 1 ? "y" : "ies", options_.directory, scanned.problems.size(), corrupt_.size(),
               kCorruptDirName);
}

std::size_t QueueRunner::message_bytes_held() const {
  std::size_t n = 0;
  for (const auto& [id, item] : items_) n += item->entry.message.size();
  return n;
}

void QueueRunner::stop() {
  stopped_ = true;
  for (auto& [id, item] : items_) {
    ++item->generation;
    item->timer.cancel();
  }
}

void QueueRunner::adopt(SpoolEntry entry, std::set<std::string> in_flight) {
  const std::uint64_t bytes = entry.message.size();
  adopt_sized(std::move(entry), std::move(in_flight), bytes);
}

void QueueRunner::adopt_sized(SpoolEntry entry, std::set<std::string> in_flight, std::uint64_t message_bytes) {
  if (auto found = items_.find(entry.queue_id); found != items_.end()) {
    // Found by the start-up scan first: the session's word on its deliveries still counts.
    found->second->in_flight.insert(in_flight.begin(), in_flight.end());
    return;
  }
  std::string().swap(entry.message);  // the body stays on disk: read again per attempt
  auto item = std::make_shared<Item>(executor_);
  item->entry = std::move(entry);
  item->message_bytes = message_bytes;
  item->in_flight = std::move(in_flight);
  const std::string id = item->entry.queue_id;
  items_[id] = item;
  arm(item);
}

void QueueRunner::arm(const std::shared_ptr<Item>& item) {
  ++item->generation;
  if (stopped_ || item->running || item->removed) return;
  const std::int64_t delay = std::max<std::int64_t>(0, item->entry.next_try - now());
  item->timer.expires_after(std::chrono::seconds(delay));
  item->timer.async_wait(
      [this, item, generation = item->generation, alive = alive_](boost::system::error_code ec) {
        if (ec || !*alive || stopped_ || generation != item->generation || item->running ||
            item->removed) {
          return;
        }
        asio::co_spawn(executor_, attempt(item), log_failure("queue attempt " + item->entry.queue_id));
      });
}

asio::awaitable<void> QueueRunner::acquire(const std::string& domain) {
  const std::size_t limit = std::max<std::size_t>(1, options_.domain_concurrency);
  while (domains_[domain].active >= limit) {
    auto waiter = std::make_shared<asio::steady_timer>(executor_, asio::steady_timer::time_point::max());
    domains_[domain].waiters.push_back(waiter);
    boost::system::error_code ec;
    co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  ++domains_[domain].active;
}

void QueueRunner::release(const std::string& domain) {
  auto& d = domains_[domain];
  if (d.active > 0) --d.active;
  if (!d.waiters.empty()) {
    auto next = d.waiters.front();
    d.waiters.erase(d.waiters.begin());
    next->cancel();
  }
}

asio::awaitable<void> QueueRunner::deliver_group(std::shared_ptr<Item> item, DeliveryJob job) {
  auto alive = alive_;
  co_await acquire(job.domain);
  if (!*alive) co_return;
  AttemptResult result;
  try {
    DeliveryJob copy = job;
    auto op = delivery_->deliver(std::move(copy));
    result = co_await std::move(op);
  } catch (const std::exception& e) {
    spdlog::error("{}: delivery to {} failed: {}", job.queue_id, job.domain, e.what());
  }
  if (!*alive) co_return;
  release(job.domain);
  // entry.attempts counts the attempts finished: this one is the next.
  if (!item->removed) apply(*item, job, result, item->newly_failed, item->entry.attempts + 1);
}

asio::awaitable<void> QueueRunner::attempt(std::shared_ptr<Item> item) {
  auto alive = alive_;
  item->running = true;
  auto& e = item->entry;
  const std::int64_t started = now();
  if (expired(options_.policy, e.arrival, started)) {
    // RFC 5321 §4.5.4.1: give up after the lifetime and tell the sender (RFC 3463 4.4.7).
    for (auto& r : e.recipients) {
      if (r.state != RcptState::pending || item->in_flight.count(domain_of(r.address))) continue;
      r.state = RcptState::failed;
      DsnRecipient d;
      d.final_recipient = r.address;
      d.action = DsnAction::failed;
      d.status = "4.4.7";
      d.diagnostic = r.last_error.empty() ? "delivery time expired" : r.last_error;
      item->newly_failed.push_back(std::move(d));
      metrics::process().expired.with({}).inc();
      spdlog::info("{}: to=<{}> status=expired after {}s ({})", e.queue_id, r.address,
                   started - e.arrival, r.last_error);
    }
  } else {
    std::map<std::string, std::vector<std::string>> groups;
    for (const auto& r : e.recipients) {
      if (r.state != RcptState::pending) continue;
      const std::string domain = domain_of(r.address);
      if (item->in_flight.count(domain)) continue;
      if (domains_[domain].blocked_until > started) continue;  // throttled: left alone for now
      groups[domain].push_back(r.address);
    }
    // The message for this attempt only, read (and verified) from the file on the writer.
    std::shared_ptr<const std::string> message;
    if (!groups.empty()) {
      const std::string directory = options_.directory;
      const std::string queue_id = e.queue_id;
      auto task = [directory, queue_id] {
        Loaded out;
        auto full = read_entry(directory, queue_id);
        if (full) {
          out.message = std::make_shared<const std::string>(std::move(full->message));
        } else {
          out.problem = std::move(full.error());
        }
        return out;
      };
      Loaded loaded = co_await spool_io<Loaded>(writer_, std::move(task));
      if (!*alive) co_return;
      if (item->removed) {
        item->running = false;
        co_return;
      }
      if (!loaded.message) {
        item->running = false;
        if (loaded.problem && loaded.problem->corrupt) {
          co_await set_aside(item, std::move(*loaded.problem));
          co_return;
        }
        // Unreadable for now (I/O error): tried again at the next retry.
        spdlog::error("{}: cannot read the spool file: {}", e.queue_id,
                      loaded.problem ? loaded.problem->reason : std::string("unknown error"));
        e.next_try = next_try_after(options_.policy, std::max<std::uint32_t>(e.attempts, 1), now(), e.arrival);
        settle(item);
        co_return;
      }
      message = std::move(loaded.message);
    }
    auto remaining = std::make_shared<std::size_t>(groups.size());
    auto done = std::make_shared<asio::steady_timer>(executor_, asio::steady_timer::time_point::max());
    for (auto& [domain, recipients] : groups) {
      DeliveryJob job;
      job.queue_id = e.queue_id;
      job.domain = domain;
      job.mail_from = e.upstream_from;
      job.recipients = recipients;
      job.message = message;
      job.smtputf8 = e.smtputf8;
      job.eight_bit = e.eight_bit;
      asio::co_spawn(executor_, deliver_group(item, std::move(job)),
                     [remaining, done](std::exception_ptr) {
                       if (--*remaining == 0) done->cancel();
                     });
    }
    if (!groups.empty()) {
      boost::system::error_code ec;
      co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    message.reset();  // the jobs are done with it: dropped
    if (!*alive) co_return;
  }
  if (item->removed) {
    item->running = false;
    co_return;
  }
  std::vector<DsnRecipient> failed = std::move(item->newly_failed);
  item->newly_failed.clear();
  co_await bounce(item, std::move(failed));
  if (!*alive) co_return;
  item->running = false;
  if (item->removed) co_return;
  ++e.attempts;
  const std::int64_t t = now();
  e.next_try = next_try_after(options_.policy, e.attempts, t, e.arrival);
  // A destination that throttled us is not tried before its backoff ends.
  for (const auto& r : e.recipients) {
    if (r.state != RcptState::pending) continue;
    const auto blocked = domains_[domain_of(r.address)].blocked_until;
    if (blocked > e.next_try) e.next_try = blocked;
  }
  settle(item);
}

void QueueRunner::apply(Item& item, const DeliveryJob& job, const AttemptResult& result,
                        std::vector<DsnRecipient>& failed, std::uint32_t attempt) {
  auto& e = item.entry;
  bool throttled = false, delivered = false, refused = false, deferred = false;
  const auto spent = result.setup + result.transmission;
  const auto waited = std::chrono::seconds(std::max<std::int64_t>(0, now() - e.arrival)) - spent;
  const auto queue_wait = std::max(std::chrono::duration_cast<std::chrono::steady_clock::duration>(waited),
                                   std::chrono::steady_clock::duration{});
  const std::string delays = core::delays_field({}, queue_wait, result.setup, result.transmission);
  if (!result.host.empty()) {
    const auto secs = [](std::chrono::steady_clock::duration x) { return std::chrono::duration<double>(x).count(); };
    auto& stage = metrics::process().delivery_stage;
    stage.with({"queue_wait"}).observe(secs(queue_wait));
    stage.with({"connect"}).observe(secs(result.setup));
    stage.with({"transmit"}).observe(secs(result.transmission));
    metrics::process().tls.with({"out", result.tls == "no" ? std::string_view("none") : std::string_view(result.tls), "ok"}).inc();
  }
  for (const auto& address : job.recipients) {
    core::SmtpReply reply = core::SmtpReply::make(451, "4.3.0", "internal error: no result");
    for (const auto& o : result.recipients) {
      if (o.address == address) {
        reply = o.reply;
        break;
      }
    }
    auto it = std::find_if(e.recipients.begin(), e.recipients.end(), [&](const SpoolRecipient& r) {
      return r.address == address && r.state == RcptState::pending;
    });
    if (it == e.recipients.end()) continue;
    const std::string text = reply_text(result.host, reply);
    // The fields of an in-session delivery's line (app/outcome_log), plus the attempt number.
    const auto log_attempt = [&](std::string_view status) {
      spdlog::info("{}: to=<{}> domain={} relay={} attempt={} delays={} tls={} status={} reply=\"{}\"", e.queue_id,
                   address, job.domain, core::relay_field(result.host, result.endpoint), attempt, delays, result.tls,
                   status, reply.summary());
    };
    if (reply.code / 100 == 2) {
      it->state = RcptState::delivered;
      it->last_error.clear();
      delivered = true;
      metrics::process().end_to_end.with({"queue"}).observe(static_cast<double>(std::max<std::int64_t>(0, now() - e.arrival)));
      log_attempt("sent");
    } else if (reply.permanent()) {
      it->state = RcptState::failed;
      it->last_error = text;
      DsnRecipient d;
      d.final_recipient = address;
      d.action = DsnAction::failed;
      d.status = dsn_status(reply.code, reply.enhanced);
      d.remote_mta = result.host;
      d.diagnostic = reply.summary();
      failed.push_back(std::move(d));
      refused = true;
      log_attempt("bounced");
    } else {
      it->last_error = text;
      e.last_error = text;
      deferred = true;
      if (is_rate_limit(reply)) throttled = true;
      log_attempt("deferred");
    }
  }
  const std::string_view attempt_result = refused ? "failed" : deferred || !delivered ? "deferred" : "delivered";
  metrics::process().delivery_attempts.with({attempt_result}).inc();
  metrics::process()
      .deliveries.with({"queue", attempt_result, metrics::delivery_reply_class(result.answered, attempt_result)})
      .inc();
  auto& d = domains_[job.domain];
  if (throttled) {
    ++d.throttled;
    d.blocked_until = now() + throttle_backoff(options_.policy, d.throttled).count();
    spdlog::warn("queue: {} throttled us ({} in a row); leaving it alone for {}s", job.domain,
                 d.throttled, d.blocked_until - now());
  } else if (delivered) {
    d.throttled = 0;
    d.blocked_until = 0;
  }
}

asio::awaitable<void> QueueRunner::bounce(std::shared_ptr<Item> item, std::vector<DsnRecipient> failed) {
  if (failed.empty()) co_return;
  auto alive = alive_;
  const SpoolEntry meta = item->entry;  // the state now; the original's message is on disk
  if (const auto why = no_bounce_reason(meta); !why.empty()) {
    // RFC 5321 §4.5.5, RFC 3464 §2: never a DSN for the null sender; nor backscatter (SPF fail).
    spdlog::info("{}: {} recipient(s) failed; no DSN to <{}>: {}", meta.queue_id, failed.size(),
                 meta.mail_from, why);
    co_return;
  }
  struct Written {
    SpoolEntry dsn;     // without its message once written
    std::string error;  // "" when written
  };
  const std::string directory = options_.directory;
  const std::size_t count = failed.size();
  auto task = [directory, meta, failed, hostname = options_.hostname, id = new_queue_id(), t = now()] {
    Written out;
    auto original = read_entry(directory, meta.queue_id);
    if (!original) {
      out.error = original.error().reason;
      return out;
    }
    SpoolEntry full = meta;
    full.message = std::move(original->message);
    BounceInput in;
    in.hostname = hostname;
    in.new_queue_id = id;
    in.original = &full;
    in.failed = failed;
    in.now = t;
    out.dsn = make_bounce(in);
    if (auto written = write_new(directory, out.dsn); !written) {
      ::unlink((directory + "/" + out.dsn.queue_id).c_str());
      out.error = written.error().message;
    }
    std::string().swap(out.dsn.message);
    return out;
  };
  Written written = co_await spool_io<Written>(writer_, std::move(task));
  if (!*alive) co_return;
  if (!written.error.empty()) {
    // The sender must still learn: the recipients go back to pending, so they are tried again
    // (and refused again, or expire again) and the DSN is written then.
    for (const auto& d : failed) {
      for (auto& r : item->entry.recipients) {
        if (r.address == d.final_recipient && r.state == RcptState::failed) r.state = RcptState::pending;
      }
    }
    spdlog::error("{}: cannot queue the DSN to <{}>: {}; its {} recipient(s) stay queued", meta.queue_id,
                  meta.mail_from, written.error, count);
    co_return;
  }
  metrics::process().dsns.with({}).inc();
  spdlog::info("{}: DSN {} queued to <{}> for {} recipient(s)", meta.queue_id, written.dsn.queue_id,
               meta.mail_from, count);
  adopt(std::move(written.dsn));
}

asio::awaitable<void> QueueRunner::settle_in_flight(std::shared_ptr<Item> item,
                                                    std::vector<DsnRecipient> failed) {
  auto alive = alive_;
  co_await bounce(item, std::move(failed));
  if (!*alive) co_return;
  settle(item);
}

asio::awaitable<void> QueueRunner::set_aside(std::shared_ptr<Item> item, ScanProblem problem) {
  auto alive = alive_;
  const std::string directory = options_.directory;
  const std::string queue_id = item->entry.queue_id;
  forget_index(item);
  auto task = [directory, problem] {
    auto moved = move_aside(directory, problem.name, problem.reason);
    return moved ? std::string() : moved.error().message;
  };
  std::string error = co_await spool_io<std::string>(writer_, std::move(task));
  if (!error.empty()) {
    spdlog::error("{}: spool file unreadable ({}) and not kept aside: {}", queue_id, problem.reason, error);
    co_return;
  }
  spdlog::error("{}: spool file unreadable ({}); kept aside in {}/ and dropped from the queue", queue_id,
                problem.reason, kCorruptDirName);
  if (*alive) corrupt_.push_back(std::move(problem));
}

void QueueRunner::complete_in_flight(const std::string& queue_id, const std::string& domain,
                                     AttemptResult result) {
  auto found = items_.find(queue_id);
  if (found == items_.end()) {
    spdlog::info("{}: late result for {} after the entry was removed", queue_id, domain);
    return;
  }
  auto item = found->second;
  item->in_flight.erase(domain);
  DeliveryJob job;
  job.queue_id = queue_id;
  job.domain = domain;
  for (const auto& r : item->entry.recipients) {
    if (r.state == RcptState::pending && domain_of(r.address) == domain) job.recipients.push_back(r.address);
  }
  std::vector<DsnRecipient> failed;
  // The session's own attempt, counted when the entry was written.
  apply(*item, job, result, failed, std::max<std::uint32_t>(item->entry.attempts, 1));
  if (failed.empty()) return settle(item);
  asio::co_spawn(executor_, settle_in_flight(item, std::move(failed)),
                 log_failure("queue result " + queue_id));
}

void QueueRunner::persist(const std::shared_ptr<Item>& item) {
  if (writer_ == nullptr) {
    if (auto error = rewrite_entry(options_.directory, item->entry); !error.empty()) {
      spdlog::error("{}: cannot rewrite the spool file: {}", item->entry.queue_id, error);
    }
    return;
  }
  if (item->writing) {
    item->write_again = true;  // written once the write under way ends, with the state then
    return;
  }
  item->writing = true;
  ++writes_;
  asio::co_spawn(executor_, write_out(item), log_failure("queue rewrite " + item->entry.queue_id));
}

asio::awaitable<void> QueueRunner::write_out(std::shared_ptr<Item> item) {
  // Copies: the runner may be gone when a write ends (shutdown), the item and these are not.
  auto alive = alive_;
  asio::thread_pool& workers = *writer_;
  const std::string directory = options_.directory;
  const std::string queue_id = item->entry.queue_id;
  do {
    item->write_again = false;
    // The state now, taken on this thread; the message is read back from the file there.
    auto task = [directory, meta = item->entry] { return rewrite_entry(directory, meta); };
    std::string error;
    try {
      error = co_await run_on_workers<std::string>(workers, std::move(task));
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) spdlog::error("{}: cannot rewrite the spool file: {}", queue_id, error);
  } while (*alive && !item->removed && item->write_again);
  item->writing = false;
  if (*alive) --writes_;
  // Finished or deleted while the file was being written: only now may it go, or the rename
  // would bring it back.
  if (item->removed) ::unlink((directory + "/" + queue_id).c_str());
}

void QueueRunner::forget_index(const std::shared_ptr<Item>& item) {
  item->removed = true;
  ++item->generation;
  item->timer.cancel();
  items_.erase(item->entry.queue_id);
}

void QueueRunner::forget(const std::shared_ptr<Item>& item) {
  item->removed = true;
  ++item->generation;
  item->timer.cancel();
  const std::string path = options_.directory + "/" + item->entry.queue_id;
  // With a write under way, write_out removes the file when it ends.
  if (!item->writing && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
    spdlog::error("{}: cannot remove {}: {}", item->entry.queue_id, path, std::strerror(errno));
  }
  items_.erase(item->entry.queue_id);
}

void QueueRunner::settle(const std::shared_ptr<Item>& item) {
  if (item->removed) return;
  const bool pending = std::any_of(item->entry.recipients.begin(), item->entry.recipients.end(),
                                   [](const SpoolRecipient& r) { return r.state == RcptState::pending; });
  if (!pending && item->in_flight.empty()) return finish(item);
  persist(item);
  arm(item);
}

void QueueRunner::finish(const std::shared_ptr<Item>& item) {
  spdlog::info("{}: removed from the queue (every recipient done)", item->entry.queue_id);
  forget(item);
}

std::vector<EntrySummary> QueueRunner::list() const {
  std::vector<EntrySummary> out;
  for (const auto& [id, item] : items_) {
    EntrySummary s;
    s.queue_id = id;
    s.arrival = item->entry.arrival;
    s.sender = item->entry.mail_from;
    for (const auto& r : item->entry.recipients) {
      if (r.state == RcptState::pending) s.recipients.push_back(r.address);
    }
    s.attempts = item->entry.attempts;
    s.next_try = item->entry.next_try;
    s.last_error = item->entry.last_error;
    s.active = item->running || !item->in_flight.empty();
    out.push_back(std::move(s));
  }
  return out;
}

QueueCounts QueueRunner::counts() const {
  QueueCounts out;
  for (const auto& [id, item] : items_) {
    QueueStateCounts& c = item->running || !item->in_flight.empty() ? out.active : out.deferred;
    ++c.entries;
    c.message_bytes += item->message_bytes;
    const std::int64_t arrival = item->entry.arrival;
    if (arrival > 0 && (c.oldest_arrival == 0 || arrival < c.oldest_arrival)) c.oldest_arrival = arrival;
    for (const auto& r : item->entry.recipients) {
      if (r.state != RcptState::pending) continue;
      ++c.recipients;
      ++out.recipient_domains[domain_of(r.original.empty() ? r.address : r.original)];
    }
  }
  return out;
}

std::size_t QueueRunner::flush() {
  const std::int64_t t = now();
  for (auto& [domain, d] : domains_) d.blocked_until = 0;
  for (auto& [id, item] : items_) {
    item->entry.next_try = t;
    arm(item);
  }
  spdlog::info("queue: flush: {} entr{} due now", items_.size(), items_.size() == 1 ? "y" : "ies");
  return items_.size();
}

bool QueueRunner::remove(const std::string& queue_id) {
  auto found = items_.find(queue_id);
  if (found == items_.end()) return false;
  auto item = found->second;
  forget(item);
  spdlog::info("{}: deleted from the queue by the operator", queue_id);
  return true;
}

}  // namespace hikyaku::queue
