// UnboundResolver: libunbound (ub_resolve_async in a worker thread) on an Asio strand, per
// query deadline, answers decoded from the reply packet (RFC 1035 §4.1, RFC 2308 §5).
// research/deps.md §6 and appendix A1 describe the pattern and its pitfalls.
#include "dns/unbound_resolver.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <unbound.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <unordered_map>

#include "core/ascii.hpp"
#include "dns/names.hpp"
#include "dns/resolver_health.hpp"
#include "dns/wire.hpp"
#include "metrics/catalog.hpp"

namespace hikyaku::dns {

namespace {

// libunbound 1.17's default local zones (services/localzone.c) that would shadow what the
// configured server says. Removing a zone that is absent is not an error.
constexpr std::string_view kSpecialUseZones[] = {
    // RFC 6761 §6.2, §6.4, RFC 7686, RFC 8375
    "test.", "invalid.", "onion.", "home.arpa.",
    // RFC 6303 §4: RFC 1918, link-local, "this network", broadcast, TEST-NETs (RFC 5737)
    "10.in-addr.arpa.", "16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.",
    "19.172.in-addr.arpa.", "20.172.in-addr.arpa.", "21.172.in-addr.arpa.", "22.172.in-addr.arpa.",
    "23.172.in-addr.arpa.", "24.172.in-addr.arpa.", "25.172.in-addr.arpa.", "26.172.in-addr.arpa.",
    "27.172.in-addr.arpa.", "28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.",
    "31.172.in-addr.arpa.", "168.192.in-addr.arpa.", "254.169.in-addr.arpa.", "0.in-addr.arpa.",
    "255.255.255.255.in-addr.arpa.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.",
    // RFC 6598 shared address space 100.64.0.0/10 (RFC 7793)
    "64.100.in-addr.arpa.", "65.100.in-addr.arpa.", "66.100.in-addr.arpa.", "67.100.in-addr.arpa.",
    "68.100.in-addr.arpa.", "69.100.in-addr.arpa.", "70.100.in-addr.arpa.", "71.100.in-addr.arpa.",
    "72.100.in-addr.arpa.", "73.100.in-addr.arpa.", "74.100.in-addr.arpa.", "75.100.in-addr.arpa.",
    "76.100.in-addr.arpa.", "77.100.in-addr.arpa.", "78.100.in-addr.arpa.", "79.100.in-addr.arpa.",
    "80.100.in-addr.arpa.", "81.100.in-addr.arpa.", "82.100.in-addr.arpa.", "83.100.in-addr.arpa.",
    "84.100.in-addr.arpa.", "85.100.in-addr.arpa.", "86.100.in-addr.arpa.", "87.100.in-addr.arpa.",
    "88.100.in-addr.arpa.", "89.100.in-addr.arpa.", "90.100.in-addr.arpa.", "91.100.in-addr.arpa.",
    "92.100.in-addr.arpa.", "93.100.in-addr.arpa.", "94.100.in-addr.arpa.", "95.100.in-addr.arpa.",
    "96.100.in-addr.arpa.", "97.100.in-addr.arpa.", "98.100.in-addr.arpa.", "99.100.in-addr.arpa.",
    "100.100.in-addr.arpa.", "101.100.in-addr.arpa.", "102.100.in-addr.arpa.", "103.100.in-addr.arpa.",
    "104.100.in-addr.arpa.", "105.100.in-addr.arpa.", "106.100.in-addr.arpa.", "107.100.in-addr.arpa.",
    "108.100.in-addr.arpa.", "109.100.in-addr.arpa.", "110.100.in-addr.arpa.", "111.100.in-addr.arpa.",
    "112.100.in-addr.arpa.", "113.100.in-addr.arpa.", "114.100.in-addr.arpa.", "115.100.in-addr.arpa.",
    "116.100.in-addr.arpa.", "117.100.in-addr.arpa.", "118.100.in-addr.arpa.", "119.100.in-addr.arpa.",
    "120.100.in-addr.arpa.", "121.100.in-addr.arpa.", "122.100.in-addr.arpa.", "123.100.in-addr.arpa.",
    "124.100.in-addr.arpa.", "125.100.in-addr.arpa.", "126.100.in-addr.arpa.", "127.100.in-addr.arpa.",
    // IPv6: unspecified ::/128, ULA fd00::/8, link-local fe80::/10, documentation 2001:db8::/32
    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.", "d.f.ip6.arpa.",
    "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
    "8.b.d.0.1.0.0.2.ip6.arpa.",
};

constexpr int kClassIn = 1;

// The awaiting coroutine's completion handler with its type erased; complete() posts it to
// the handler's own executor and may be called once.
class Completion {
 public:
  virtual ~Completion() = default;
  virtual void complete(DnsAnswer answer) = 0;
};

template <class Handler>
class HandlerCompletion final : public Completion {
 public:
  explicit HandlerCompletion(Handler handler)
      : handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_),
                           asio::execution::outstanding_work.tracked)) {}

  void complete(DnsAnswer answer) override {
    auto executor = asio::get_associated_executor(handler_);
    asio::post(executor, [handler = std::move(handler_), answer = std::move(answer)]() mutable {
      std::move(handler)(std::move(answer));
    });
  }

 private:
  Handler handler_;
  // Keeps the caller's execution context running while the query is out.
  decltype(asio::prefer(std::declval<asio::associated_executor_t<Handler>>(),
                        asio::execution::outstanding_work.tracked)) work_;
};

// The answer libunbound gave, read from its reply packet.
DnsAnswer to_answer(const std::string& name, RecordType type, int err, ub_result* r) {
  if (err != 0 || r == nullptr) {
    return DnsAnswer::failure(name, type, DnsStatus::servfail,
                              std::string("libunbound: ") + ub_strerror(err));
  }
  if (r->bogus) {
    return DnsAnswer::failure(name, type, DnsStatus::servfail,
                              std::string("DNSSEC validation failed: ") +
                                  (r->why_bogus ? r->why_bogus : "bogus"));
  }
  if (r->answer_packet == nullptr || r->answer_len <= 0) {
    if (r->rcode == 3) return DnsAnswer::failure(name, type, DnsStatus::nxdomain);
    return DnsAnswer::failure(name, type, DnsStatus::servfail,
                              "no reply packet (rcode " + std::to_string(r->rcode) + ")");
  }
  const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(r->answer_packet),
                                       static_cast<size_t>(r->answer_len));
  const auto message = parse_message(bytes);
  if (!message) return DnsAnswer::failure(name, type, DnsStatus::servfail, "malformed reply");
  DnsAnswer answer = answer_from_message(*message, name, type);
  // RFC 4035 §4.3: validated from a trust anchor ([dns] trust_anchor_file), records or denial.
  answer.secure = r->secure != 0;
  return answer;
}

}  // namespace

// Everything below runs on strand_ unless said otherwise.
class UnboundResolver::Core : public std::enable_shared_from_this<UnboundResolver::Core> {
 public:
  Core(asio::any_io_executor executor, std::chrono::milliseconds timeout)
      : strand_(asio::make_strand(executor)), pipe_(strand_), timeout_(timeout) {}

  ~Core() { close(nullptr); }

  // Before any query, on the creating thread.
  core::Expected<bool, std::string> configure(const UnboundOptions& options) {
    ctx_ = ub_ctx_create();
    if (ctx_ == nullptr) return core::unexpected(std::string("ub_ctx_create failed"));
    auto check = [](int rc, const std::string& what) -> core::Expected<bool, std::string> {
      if (rc != 0) return core::unexpected(what + ": " + ub_strerror(rc));
      return true;
    };
    // All settings first: anything after the first finalising call fails (deps.md §6).
    if (auto r = check(ub_ctx_async(ctx_, 1), "ub_ctx_async"); !r) return r;
    if (!options.trust_anchor_file.empty()) {
      if (auto r = check(ub_ctx_add_ta_file(ctx_, options.trust_anchor_file.c_str()),
                         "trust anchor file " + options.trust_anchor_file);
          !r) {
        return r;
      }
    }
    for (const auto& server : options.servers) {
      auto fwd = unbound_forwarder(server);
      if (!fwd) return core::unexpected(fwd.error());
      if (auto r = check(ub_ctx_set_fwd(ctx_, fwd->c_str()), "dns server \"" + server + "\""); !r) return r;
    }
    if (options.servers.empty()) {
      const char* path = options.resolv_conf.empty() ? nullptr : options.resolv_conf.c_str();
      const std::string shown = path ? options.resolv_conf : "/etc/resolv.conf";
      if (auto r = check(ub_ctx_resolvconf(ctx_, path), "reading " + shown); !r) return r;
    } else {
      for (std::string_view zone : kSpecialUseZones) {  // finalises the context
        if (auto r = check(ub_ctx_zone_remove(ctx_, std::string(zone).c_str()), "ub_ctx_zone_remove"); !r) {
          return r;
        }
      }
    }
    const int fd = ::fcntl(ub_fd(ctx_), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return core::unexpected(std::string("cannot watch libunbound's pipe"));
    boost::system::error_code ec;
    pipe_.assign(fd, ec);
    if (ec) {
      ::close(fd);
      return core::unexpected("cannot watch libunbound's pipe: " + ec.message());
    }
    return true;
  }

  // Any thread.
  void start(std::string name, RecordType type, std::unique_ptr<Completion> done) {
    asio::post(strand_, [self = shared_from_this(), name = std::move(name), type,
                         done = std::move(done)]() mutable {
      self->begin(std::move(name), type, std::move(done));
    });
  }

  // Any thread: completes what is outstanding with SERVFAIL and deletes the context.
  void shutdown() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->close("resolver shut down"); });
  }

 private:
  struct Pending {
    Pending(Core* c, uint64_t s, std::string n, RecordType t, std::unique_ptr<Completion> d,
            const asio::strand<asio::any_io_executor>& strand)
        : core(c), serial(s), name(std::move(n)), type(t), done(std::move(d)), timer(strand) {}
    Core* core;
    uint64_t serial;
    std::string name;
    RecordType type;
    std::unique_ptr<Completion> done;  // null once completed
    asio::steady_timer timer;
  };

  void begin(std::string name, RecordType type, std::unique_ptr<Completion> done) {
    if (closed_) {
      done->complete(DnsAnswer::failure(std::move(name), type, DnsStatus::servfail, closed_reason_));
      return;
    }
    const uint64_t serial = ++next_serial_;
    auto pending = std::make_unique<Pending>(this, serial, std::move(name), type, std::move(done), strand_);
    int async_id = 0;
    const int rc = ub_resolve_async(ctx_, pending->name.c_str(), static_cast<int>(type), kClassIn,
                                    pending.get(), &Core::on_result, &async_id);
    if (rc != 0) {
      pending->done->complete(DnsAnswer::failure(pending->name, type, DnsStatus::servfail,
                                                 std::string("libunbound: ") + ub_strerror(rc)));
      return;
    }
    pending->timer.expires_after(timeout_);
    pending->timer.async_wait([self = shared_from_this(), serial](boost::system::error_code ec) {
      if (!ec) self->on_timeout(serial);
    });
    pending_.emplace(serial, std::move(pending));
    watch();
  }

  // Called by libunbound inside ub_process, so on the strand. `arg` is the Pending, which
  // stays in pending_ until this call (a timed-out query included).
  static void on_result(void* arg, int err, ub_result* result) {
    auto* pending = static_cast<Pending*>(arg);
    Core* self = pending->core;
    const uint64_t serial = pending->serial;
    if (pending->done) {
      pending->timer.cancel();
      std::exchange(pending->done, nullptr)->complete(to_answer(pending->name, pending->type, err, result));
    }
    ub_resolve_free(result);
    self->pending_.erase(serial);  // destroys *pending
  }

  void on_timeout(uint64_t serial) {
    const auto it = pending_.find(serial);
    if (it == pending_.end() || !it->second->done) return;
    Pending& p = *it->second;
    std::exchange(p.done, nullptr)->complete(DnsAnswer::failure(
        p.name, p.type, DnsStatus::timeout,
        "no answer within " + std::to_string(timeout_.count()) + "ms"));
    // The entry stays until libunbound reports the query (it always does, at the latest with
    // its own SERVFAIL), so its pipe is drained and the late answer is dropped in on_result.
  }

  // Watches libunbound's pipe while it has queries of ours.
  void watch() {
    if (watching_ || pending_.empty() || closed_) return;
    watching_ = true;
    pipe_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->watching_ = false;
                       if (ec || self->closed_) return;
                       if (const int rc = ub_process(self->ctx_); rc != 0) {
                         // The worker thread is gone (UB_PIPE): nothing more will come.
                         const std::string why = std::string("libunbound: ") + ub_strerror(rc);
                         self->close(why.c_str());
                         return;
                       }
                       self->watch();
                     });
  }

  void fail_all(const std::string& why) {
    for (auto& [serial, p] : pending_) {
      if (!p->done) continue;
      p->timer.cancel();
      std::exchange(p->done, nullptr)->complete(DnsAnswer::failure(p->name, p->type, DnsStatus::servfail, why));
    }
  }

  // Completes what is outstanding with SERVFAIL `why` (nullptr: drops it, as when the
  // io_context is already going away) and deletes the context. Later queries fail with `why`.
  void close(const char* why) {
    if (closed_) return;
    closed_ = true;
    closed_reason_ = why ? why : "resolver shut down";
    if (why) fail_all(why);
    pending_.clear();
    boost::system::error_code ec;
    pipe_.close(ec);
    if (ctx_ != nullptr) ub_ctx_delete(ctx_);  // stops the worker thread; drops callbacks
    ctx_ = nullptr;
  }

  asio::strand<asio::any_io_executor> strand_;
  asio::posix::stream_descriptor pipe_;
  std::chrono::milliseconds timeout_;
  ub_ctx* ctx_ = nullptr;
  std::unordered_map<uint64_t, std::unique_ptr<Pending>> pending_;
  uint64_t next_serial_ = 0;
  bool watching_ = false;
  bool closed_ = false;
  std::string closed_reason_;
};

// The initiation of query()'s asynchronous operation. It must hold no state: with g++ 12 and
// Boost 1.74, use_awaitable destroys the initiation object once more than it constructs it
// (a shared_ptr captured there loses a reference; tests/unit/dns caught it under ASan). The
// state goes in as initiation arguments, which are handled correctly.
struct UnboundResolver::StartQuery {
  template <class Handler>
  void operator()(Handler handler, std::shared_ptr<Core> core, std::string name, RecordType type) const {
    core->start(std::move(name), type, std::make_unique<HandlerCompletion<Handler>>(std::move(handler)));
  }
};

core::Expected<std::unique_ptr<UnboundResolver>, std::string> UnboundResolver::create(
    asio::any_io_executor executor, UnboundOptions options) {
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return core::unexpected(std::string("dns timeout must be positive"));
  }
  auto core = std::make_shared<Core>(std::move(executor), options.timeout);
  if (auto configured = core->configure(options); !configured) {
    return core::unexpected(configured.error());
  }
  return std::unique_ptr<UnboundResolver>(new UnboundResolver(std::move(core)));
}

UnboundResolver::UnboundResolver(std::shared_ptr<Core> core) : core_(std::move(core)) {}

UnboundResolver::~UnboundResolver() { core_->shutdown(); }

asio::awaitable<DnsAnswer> UnboundResolver::query(std::string name, RecordType type) {
  auto normalised = normalise_name(name);
  if (!normalised) {
    co_return DnsAnswer::failure(std::move(name), type, DnsStatus::nxdomain, "not a valid domain name");
  }
  const auto started = std::chrono::steady_clock::now();
  DnsAnswer answer = co_await asio::async_initiate<decltype(asio::use_awaitable), void(DnsAnswer)>(
      StartQuery{}, asio::use_awaitable, core_, std::move(*normalised), type);
  // hikyaku_dns_queries_total and _query_duration_seconds (labels: the type and status words).
  auto& m = metrics::process();
  const std::string type_name(to_string(type));
  std::string status(to_string(answer.status));
  for (auto& c : status) c = core::ascii_lower(c);
  m.dns_queries.with({type_name, status}).inc();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  m.dns_duration.with({}).observe(took.count());
  resolver_health().record(!answer.temporary_failure(), std::chrono::steady_clock::now());
  co_return answer;
}

core::Expected<std::string, std::string> unbound_forwarder(std::string_view server) {
  const std::string text(server);
  std::string host;
  std::string port = "53";
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return core::unexpected("bad dns server \"" + text + "\": no ']'");
    host = text.substr(1, close - 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return core::unexpected("bad dns server \"" + text + "\"");
      port = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else {
    host = text;  // a bare IPv4 or IPv6 address
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return core::unexpected("bad dns server \"" + text + "\": not an IP address");
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return core::unexpected("bad dns server \"" + text + "\": port must be 1-65535");
  }
  return address.to_string() + "@" + std::to_string(std::stoi(port));
}

std::span<const std::string_view> special_use_zones() { return kSpecialUseZones; }

}  // namespace hikyaku::dns
