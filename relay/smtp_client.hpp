// The SMTP client coroutine: connects to one upstream address (bound to the configured egress
// address of its family), drives relay/client_protocol over the socket with a deadline on every
// stage, and falls back over an ordered list of addresses; a transaction with a hold waits at
// its CommitGate before the final "." (DESIGN §1 step 7). RFC 5321 §5.1 (try the next address
// on a temporary failure), §4.5.3.2 (timeouts), §3.3 (an unfinished transaction is discarded),
// RFC 3207 (STARTTLS).
#pragma once
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "relay/client_protocol.hpp"
#include "relay/client_stream.hpp"
#include "relay/source_addresses.hpp"
#include "relay/tls_verification.hpp"
#include "core/asio.hpp"

namespace hikyaku::relay {

class ConnectionPool;

struct ClientOptions {
  std::string helo_name;
  milliseconds connect_timeout = std::chrono::seconds(30);
  // The egress addresses to bind, in turn by family; null or empty: the system chooses.
  std::shared_ptr<SourceAddresses> sources;
  // The TLS this host must get (relay/tls_policy decides it per MX host): none, opportunistic
  // STARTTLS (may, RFC 7435), or mandatory TLS that is unauthenticated, WebPKI-verified or DANE.
  TlsRequirement tls;
  ClientTimeouts timeouts;
  std::shared_ptr<ClientTlsContext> tls_context;  // required for STARTTLS; from make_client_tls
  // Our own host names, lowercase: an upstream greeting with one is a loop (ClientSettings).
  std::vector<std::string> own_names;

  // helo_name, connect_timeout and the source addresses of each family from [relay] (the
  // loader has validated them; an unparsable one is ignored), a TLS context made here.
  static ClientOptions from(const config::RelayConfig& relay);

  bool starttls() const { return tls.level != TlsLevel::none; }
  // After a failed STARTTLS handshake, may the same address be tried again without TLS?
  // Opportunistic TLS (RFC 7435 §3, Postfix smtp_tls_security_level = may): yes, since a
  // plaintext delivery is what the destination would get from a sender without TLS. Never
  // when a policy makes TLS mandatory (RFC 7672 §2.2, RFC 8461 §5 "enforce").
  bool plaintext_retry_allowed() const { return starttls() && !tls.mandatory(); }
};

// One connection to one upstream address, with its protocol state. Used by one coroutine at a
// time; between transactions it can wait in a ConnectionPool.
class SmtpConnection {
 public:
  SmtpConnection(beast::tcp_stream stream, std::string host, asio::ip::tcp::endpoint endpoint,
                 const ClientOptions& options);

  const std::string& host() const { return host_; }
  const asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }
  std::string endpoint_text() const;  // "192.0.2.1:25", "[2001:db8::1]:25"
  // Our address on this connection ("" when the socket could not say): RFC 8460 sending-mta-ip.
  const std::string& local_ip() const { return local_ip_; }
  bool tls_requested() const { return options_.starttls(); }
  const TlsRequirement& tls_requirement() const { return options_.tls; }
  // The certificate check of this connection's handshake (checked=false before or without one).
  const TlsCheck& tls_check() const { return tls_check_; }
  bool tls() const { return protocol_.tls(); }
  std::string tls_version() { return stream_.tls_version(); }
  bool usable() { return protocol_.usable() && stream_.is_open(); }
  size_t transactions() const { return transactions_; }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  void mark_idle(std::chrono::steady_clock::time_point now) { idle_since_ = now; }
  void close() { stream_.close(); }
  asio::any_io_executor executor() { return stream_.lowest().get_executor(); }

  ClientProtocol& protocol() { return protocol_; }
  // Does the protocol's I/O (Send, NeedInput, StartTls) until it waits for a decision: returns
  // Ready, Hold, Done, Failed or Closed. Failed and Closed have closed the stream.
  asio::awaitable<ClientAction> run();
  void count_transaction() { ++transactions_; }

 private:
  ClientStream stream_;
  ClientProtocol protocol_;
  std::string host_;
  asio::ip::tcp::endpoint endpoint_;
  std::string local_ip_;
  ClientOptions options_;
  TlsCheck tls_check_;
  std::array<char, 4096> read_buffer_{};  // reads are bounded; the parser bounds the rest
  size_t transactions_ = 0;
  std::chrono::steady_clock::time_point idle_since_{};
};

// What one attempt on one connection came to.
struct ConnectionOutcome {
  std::string host;      // the MX host name
  std::string endpoint;  // the address tried last, "[::1]:25"
  bool tls = false;
  std::string tls_version;  // "TLSv1.3" when tls
  bool reused = false;      // the connection came from the pool
  // Set when no transaction took place (connect, greeting, EHLO, TLS or RSET failed); the
  // next address or MX host may be tried when it is temporary (RFC 5321 §5.1).
  std::optional<ConnectionFailure> failure;
  // One entry per recipient, always: the failure's reply for each when `failure` is set.
  TransactionResult result;
  // Earlier addresses tried, one line each ("[::1]:25: 451 4.4.1 ... refused"), for the log.
  std::vector<std::string> attempts;
  // With OutboundTransaction::hold: the transaction sent its body and arrived at the gate
  // (its party counted), and whether the gate then said commit (the "." went out; `result`
  // has the reply to it) or abort (the connection was closed mid-DATA; the accepted recipients
  // have a made-up 451 4.3.0). When not held the party has not arrived: the caller withdraws
  // it once no other host will be tried (withdraw() after a held outcome does nothing).
  bool held = false;
  bool committed = false;
  // The TLS of every new connection this attempt opened (pooled ones were counted when new).
  std::vector<TlsSessionRecord> tls_sessions;
  // From MAIL FROM to the reply to the final "." (Postfix's delays= d); zero when no
  // transaction began.
  std::chrono::steady_clock::duration transmission{};
  // A destination host replied: a transaction took place, or the failure before it was the
  // host's own reply (its greeting or EHLO refused). False for DNS failures, null MX, refused
  // or timed-out connections and TLS failures: all made up here.
  bool upstream_answered() const { return !host.empty() && (!failure || failure->from_upstream); }
};

struct ConnectResult {
  std::unique_ptr<SmtpConnection> connection;  // set on success
  std::optional<ConnectionFailure> failure;    // stage connect, made-up 4xx
};

// Opens a TCP connection to `endpoint` within options.connect_timeout, bound to the configured
// source address of the endpoint's family. Nothing is read or written yet.
asio::awaitable<ConnectResult> connect_to(asio::any_io_executor executor, std::string host,
                                          asio::ip::tcp::endpoint endpoint,
                                          const ClientOptions& options);

// Runs one transaction on `connection`: greeting, EHLO and STARTTLS on a new connection, RSET
// first on a used one, then MAIL/RCPT/DATA. With tx.hold, after the body it waits in
// tx.hold->arrive() (no deadline of its own: the caller bounds it by withdrawing the party or
// aborting the gate) and then sends the "." or closes the connection without it. Afterwards
// the connection is usable() for another transaction or quit(); when it is not, it has been
// closed.
asio::awaitable<ConnectionOutcome> deliver_over(SmtpConnection& connection, OutboundTransaction tx);

// QUIT (waiting at most timeouts.quit for 221), then close.
asio::awaitable<void> quit(SmtpConnection& connection);
// Spawns quit() on its own, owning the connection (the caller need not wait for the 221).
void quit_later(std::unique_ptr<SmtpConnection> connection);

// Delivers to one MX host over its addresses in order: a pooled connection to the host first
// (when `pool` is given; a dead one is dropped), then each address in turn, moving on after a
// connect failure (refused, unreachable, no answer within connect_timeout) or a temporary
// connection-level failure (no or 4xx greeting, EHLO, TLS). A 5xx there, or any transaction
// result, ends the attempt; so does reaching the hold (a transaction that held is never tried
// again elsewhere). An empty `endpoints` is a temporary failure. Afterwards the connection
// goes back to `pool` when it can, else it is closed with QUIT in the background.
asio::awaitable<ConnectionOutcome> deliver_to_host(asio::any_io_executor executor, std::string host,
                                                   std::vector<asio::ip::tcp::endpoint> endpoints,
                                                   OutboundTransaction tx,
                                                   const ClientOptions& options,
                                                   ConnectionPool* pool = nullptr);

}  // namespace hikyaku::relay
