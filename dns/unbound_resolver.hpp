// The production Resolver: libunbound's asynchronous API driven from the Asio event loop
// (research/deps.md §6, appendix A1). Forwards to the configured dns.servers, or to the
// servers of resolv.conf; every query bounded by dns.timeout (DESIGN.md §1 "every wait has
// a deadline"). Answers read from the reply packet (wire.hpp: RFC 1035 §4.1, RFC 2308 §5).
#pragma once
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <utility>

#include <boost/asio.hpp>

#include "core/expected.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::dns {

struct UnboundOptions {
  // dns.servers: "IP:PORT", "[IPv6]:PORT", or a bare IP (port 53). Empty: resolv.conf.
  std::vector<std::string> servers;
  // dns.timeout: a query with no answer by then completes as DnsStatus::timeout.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  // Read when `servers` is empty; empty means /etc/resolv.conf.
  std::string resolv_conf;
  // dns.trust_anchor_file: DS or DNSKEY records (unbound's trust-anchor-file format) from which
  // answers are DNSSEC-validated (RFC 4035 §5), for DANE. Empty: no validation, every answer
  // insecure. A bogus answer is a servfail with the validator's reason.
  std::string trust_anchor_file;
};

// How it runs (thread safety). libunbound resolves on its own worker thread
// (ub_ctx_async(ctx, 1): a thread, not a forked process) and reports through a pipe. Every
// ub_* call, the watch on that pipe (a posix::stream_descriptor on a dup of ub_fd) and all
// bookkeeping live on one private strand of the executor given to create(); query() only
// posts to that strand, so it may be called from any thread, any number at a time. Each
// query's completion is posted to the awaiting coroutine's own executor (its session strand).
//
// Lifetime. The resolver may be destroyed with queries outstanding: the waiting coroutines
// then complete with SERVFAIL ("resolver shut down") once the executor runs, and the
// libunbound context is deleted on the strand (ub_ctx_delete drops its callbacks). Destroy it
// before its io_context (declare the io_context first). A query that timed out stays known to
// the strand until libunbound reports it (against a silent server libunbound 1.17 gives up
// with SERVFAIL after about 17 s), so the pipe keeps being drained and the late answer is
// matched and dropped; ub_cancel is not used (in thread mode it only hides the callback).
class UnboundResolver final : public Resolver {
 public:
  // Configures a libunbound context: forwarders (each as "IP@PORT"), and — only when servers
  // are given — removes unbound's built-in local zones for special-use names (test., invalid.,
  // the documentation and private reverse zones...) so the configured server answers them
  // (deps.md §6). Every setting precedes the first finalising call. Errors are values.
  static core::Expected<std::unique_ptr<UnboundResolver>, std::string> create(
      asio::any_io_executor executor, UnboundOptions options);

  ~UnboundResolver() override;
  UnboundResolver(const UnboundResolver&) = delete;
  UnboundResolver& operator=(const UnboundResolver&) = delete;

  asio::awaitable<DnsAnswer> query(std::string name, RecordType type) override;

  class Core;  // implementation, in unbound_resolver.cpp

 private:
  struct StartQuery;
  explicit UnboundResolver(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

// One dns.servers entry in libunbound's forwarder syntax: "127.0.0.1:5353" -> "127.0.0.1@5353",
// "[::1]:5353" -> "::1@5353", "192.0.2.1" -> "192.0.2.1@53". Host names are refused.
core::Expected<std::string, std::string> unbound_forwarder(std::string_view server);

// The local zones libunbound 1.17 serves itself by default that create() removes when
// dns.servers is set: RFC 6761 special-use names (test, invalid, onion, home.arpa) and the
// RFC 6303 / documentation reverse zones. localhost and 127.in-addr.arpa / ::1 stay.
std::span<const std::string_view> special_use_zones();

}  // namespace hikyaku::dns
