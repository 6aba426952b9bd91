// The durable queue at run time (DESIGN §1 step 7): an in-memory index of the spool, a timer
// per entry, retries on the schedule of queue/retry_schedule, a per-destination-domain
// concurrency limit, backoff on throttling replies (RFC 5321 §4.2.2 421, RFC 3463 4.7.x), and a
// DSN (queue/bounce) for recipients refused permanently or still undelivered at expiry.
#pragma once
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/smtp_reply.hpp"
#include "queue/control_protocol.hpp"
#include "queue/dsn.hpp"
#include "queue/retry_schedule.hpp"
#include "queue/spool_file.hpp"
#include "queue/spool_io.hpp"
#include "core/asio.hpp"

namespace hikyaku::queue {

// One attempt at one destination domain for some recipients of one entry.
struct DeliveryJob {
  std::string queue_id;
  std::string domain;                     // A-labels, lowercase
  std::string mail_from;                  // the upstream reverse-path ("" is <>)
  std::vector<std::string> recipients;
  std::shared_ptr<const std::string> message;
  bool smtputf8 = false;                  // the entry's MAIL FROM parameters (RFC 6531, RFC 6152)
  bool eight_bit = false;
};

struct RecipientOutcome {
  std::string address;
  core::SmtpReply reply;  // 2xx delivered, 4xx retry, 5xx failed
};

struct AttemptResult {
  std::string host;  // the upstream that answered ("" when none did)
  // A destination host replied (relay::ConnectionOutcome::upstream_answered): false when the
  // recipients' replies were all made up here (DNS, connect, TLS failures).
  bool answered = false;
  // For the log line, as an in-session delivery writes it: the address ("[::1]:25"), TLS
  // ("TLSv1.3", "no") and delays= c and d (connection setup, transmission).
  std::string endpoint;
  std::string tls = "no";
  std::chrono::steady_clock::duration setup{};
  std::chrono::steady_clock::duration transmission{};
  // One per job recipient; a job recipient missing here counts as a temporary failure.
  std::vector<RecipientOutcome> recipients;
};

// How the runner reaches the destinations: relay::deliver_to_domain in the server (app/), a
// fake in unit tests.
class Delivery {
 public:
  virtual ~Delivery() = default;
  virtual asio::awaitable<AttemptResult> deliver(DeliveryJob job) = 0;
};

// What the queue holds now, for the metrics (the index only, no disk access).
struct QueueStateCounts {
  std::size_t entries = 0;
  std::size_t recipients = 0;       // still pending
  std::uint64_t message_bytes = 0;  // the entries' messages, as in their spool files
  std::int64_t oldest_arrival = 0;  // Unix seconds; 0 when there is no entry
};
struct QueueCounts {
  QueueStateCounts active;    // being delivered now (an attempt, or the session's own delivery)
  QueueStateCounts deferred;  // waiting for the next try
  // Pending recipients by domain (lowercase): the domain of the address the sender gave in RCPT
  // TO when the entry knows it, else the destination address's (DSNs, version 1/2 files).
  std::map<std::string, std::size_t> recipient_domains;
};

struct RunnerOptions {
  std::string directory;              // [queue] directory
  std::string hostname;               // [server] hostname: DSN sender and Reporting-MTA
  RetryPolicy policy;
  std::size_t domain_concurrency = 10;  // [queue] destination_concurrency
  std::function<std::int64_t()> now;  // Unix seconds; the system clock when empty
};

// Lives on one executor (the event-loop thread): every member function must be called there.
// The index holds each entry's metadata only (envelope, recipient states, the file name is its
// queue id); an attempt reads the message from the spool file and drops it when it ends.
// Every spool access of the runner (the start-up scan, the message read of an attempt, DSN
// writes, rewrites) runs on `writer` when given, a dedicated single-threaded pool, so the event
// loop never waits on a disk or an fsync (one write per entry at a time, the file removed only
// after a write under way has ended); without one it runs synchronously on the loop thread
// (tests). The first write of a new entry (the one a session waits for) is the caller's, e.g.
// on a worker pool (write_new).
class QueueRunner {
 public:
  // `writer`, when not null, must outlive the runner.
  QueueRunner(asio::any_io_executor executor, RunnerOptions options,
              std::shared_ptr<Delivery> delivery, asio::thread_pool* writer = nullptr);
  ~QueueRunner();
  QueueRunner(const QueueRunner&) = delete;
  QueueRunner& operator=(const QueueRunner&) = delete;

  // Takes the spool's lock (held until the runner is destroyed, so for the server's lifetime:
  // offline `hikyaku queue` verbs refuse to run beside it), then scans the spool (headers only,
  // each file's checksum streamed) and schedules every readable entry (due ones at once).
  // Corrupt or truncated files are moved to <directory>/corrupt with their reason (logged once;
  // see corrupt()); half-written tmp.* files are left alone; all are returned in problems.
  // With a writer the scan runs there: this returns at once with an empty result and the
  // entries are adopted when it ends (resumed() tells). Fails when the directory cannot be
  // made or another process keeps the lock for more than a few seconds.
  core::Expected<ScanResult, SpoolIoError> start();
  bool resumed() const { return resumed_; }
  // start() failed, or its scan has ended (entries adopted or not): readiness waits for it.
  bool scan_ended() const { return scan_ended_; }
  // Stops scheduling (timers cancelled); attempts under way finish but are not rescheduled.
  void stop();

  // A fresh queue id: time, a counter and randomness, safe as a file name.
  std::string new_queue_id();
  // Writes a new entry durably (tmp, fsync, rename, directory fsync). Thread-safe (no state).
  static IoResult write_new(const std::string& directory, const SpoolEntry& entry);
  // Takes an entry already written with write_new. Recipients of domains in `in_flight` are
  // being delivered by the session that queued it: they are not tried until
  // complete_in_flight() reports them.
  void adopt(SpoolEntry entry, std::set<std::string> in_flight = {});
  // The late result of a delivery that was in flight when the entry was adopted.
  void complete_in_flight(const std::string& queue_id, const std::string& domain,
                          AttemptResult result);

  std::vector<EntrySummary> list() const;
  QueueCounts counts() const;
  bool has(const std::string& queue_id) const { return items_.count(queue_id) != 0; }
  // The files kept aside in <directory>/corrupt, with their reasons.
  const std::vector<ScanProblem>& corrupt() const { return corrupt_; }
  // Message bytes held by the index (the bodies stay on disk: 0 between attempts).
  std::size_t message_bytes_held() const;
  // Makes every entry due now; returns how many.
  std::size_t flush();
  // Forgets the entry and removes its file; false when there is no such entry.
  bool remove(const std::string& queue_id);
  std::size_t size() const { return items_.size(); }
  // Spool rewrites still under way on the workers (a clean shutdown waits for them).
  std::size_t writes_under_way() const { return writes_; }
  const RunnerOptions& options() const { return options_; }

 private:
  struct Item;
  struct DomainState {
    std::size_t active = 0;
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    std::uint32_t throttled = 0;       // consecutive throttling replies
    std::int64_t blocked_until = 0;    // Unix seconds
  };

  std::int64_t now() const;
  void arm(const std::shared_ptr<Item>& item);
  asio::awaitable<void> attempt(std::shared_ptr<Item> item);
  asio::awaitable<void> deliver_group(std::shared_ptr<Item> item, DeliveryJob job);
  asio::awaitable<void> acquire(const std::string& domain);
  void release(const std::string& domain);
  // Records one result in the entry; newly failed recipients are added to `failed`.
  // `attempt` is the attempt's number (1: the session's own), for the log.
  void apply(Item& item, const DeliveryJob& job, const AttemptResult& result,
             std::vector<DsnRecipient>& failed, std::uint32_t attempt);
  // Queues the DSN for `failed` (written on the writer, with the original's headers read from
  // its file); when it cannot be written, they become pending again.
  asio::awaitable<void> bounce(std::shared_ptr<Item> item, std::vector<DsnRecipient> failed);
  asio::awaitable<void> settle_in_flight(std::shared_ptr<Item> item, std::vector<DsnRecipient> failed);
  asio::awaitable<void> resume_spool();
  struct Resumed;
  void adopt_scanned(Resumed& resumed);
  // adopt() with the message's size given (a scanned entry comes without its message).
  void adopt_sized(SpoolEntry entry, std::set<std::string> in_flight, std::uint64_t message_bytes);
  // Keeps a file that cannot be read as an entry aside (on the writer) and forgets its item.
  asio::awaitable<void> set_aside(std::shared_ptr<Item> item, ScanProblem problem);
  // After a change: removes a finished entry, else rewrites it and re-arms its timer.
  void settle(const std::shared_ptr<Item>& item);
  // Rewrites the entry's file from its state now: on the workers (after any write under way), or
  // here when there are none.
  void persist(const std::shared_ptr<Item>& item);
  asio::awaitable<void> write_out(std::shared_ptr<Item> item);
  // Forgets the entry and removes its file (once a write under way has ended).
  void forget(const std::shared_ptr<Item>& item);
  // Forgets the entry, leaving its file alone.
  void forget_index(const std::shared_ptr<Item>& item);
  void finish(const std::shared_ptr<Item>& item);

  asio::any_io_executor executor_;
  RunnerOptions options_;
  std::shared_ptr<Delivery> delivery_;
  asio::thread_pool* writer_;
  std::map<std::string, std::shared_ptr<Item>> items_;
  std::map<std::string, DomainState> domains_;
  SpoolLock lock_;
  std::uint32_t counter_ = 0;
  std::size_t writes_ = 0;
  std::vector<ScanProblem> corrupt_;
  bool resumed_ = false;
  bool scan_ended_ = false;
  bool stopped_ = false;
  // When this runner was made: a tmp.* file older than that is a write cut short by a crash.
  std::time_t started_at_ = std::time(nullptr);
  std::shared_ptr<bool> alive_;  // spawned handlers check it before touching the runner
};

}  // namespace hikyaku::queue
