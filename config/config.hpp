// Hikyaku's whole configuration as plain values; every limit is a named field with its default
// and the reason for it. RFC 5321 §4.5.3.1 (size limits), §4.5.3.2 (timeouts).
// Loaded from TOML by config/loader.hpp; conf/hikyaku.toml documents every key.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.hpp"

namespace hikyaku::config {

using Duration = std::chrono::milliseconds;

struct ListenAddress {
  std::string host;   // "127.0.0.1", "::1", "0.0.0.0", "::"
  uint16_t port = 0;
  bool proxy = false; // a PROXY v1/v2 header is required first (from server.proxy_listen)
  std::string text() const;  // "127.0.0.1:2525" / "[::1]:2525"
};

struct TlsConfig {
  std::string certificate;  // PEM chain
  std::string private_key;  // PEM
};

struct ServerConfig {
  std::string hostname = "localhost";  // banner, Received, DSN sender
  // The operator's mailbox: RFC 5321 §4.5.1 requires every SMTP server to accept "postmaster";
  // mail to postmaster@ and abuse@ (RFC 2142) of a served domain with no rule of its own for
  // them, and to the bare "Postmaster", is forwarded here. Empty: those addresses follow the
  // domain's rules and catch-all like any other (`hikyaku check` warns).
  std::string postmaster;
  // Started as root (to bind port 25), the process switches to this user once its listeners are
  // bound and its keys loaded. Empty: keep the user it was started as.
  std::string user;
  std::vector<ListenAddress> listen;   // server.listen + server.proxy_listen
  // RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF.
  size_t max_command_line = 512;
  // RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF.
  size_t max_text_line = 1000;
  // Bounds memory per session: the whole message is held while it is checked and forwarded.
  uint64_t max_message_size = 26214400;
  // All messages held in memory at once (being received, checked and forwarded): past it a new
  // DATA, or a message growing past it, gets 452 4.3.1. A fixed 1 GiB rather than a share of
  // physical memory (which a container's limit hides): 40 maximum-size messages, fitting a
  // 2 GiB host with the process's own needs. Must be at least max_message_size.
  uint64_t max_inflight_bytes = uint64_t(1) << 30;
  // RFC 5321 §4.5.3.1.8 requires accepting at least 100; more only multiplies upstream work.
  size_t max_recipients = 100;
  // Mail loops (RFC 5321 §6.3): a message with more Received: fields than this is refused at
  // the end of data with 554 5.4.6. §6.3 asks for a large threshold ("normally at least 100");
  // 50 is Postfix's hopcount_limit, which has been enough for real paths for decades, and a
  // loop through a forwarder multiplies mail at every turn, so it is stopped sooner.
  size_t max_hops = 50;
  // RFC 5321 §4.5.3.2.7: a server waits at least 5 minutes for the next command.
  Duration command_timeout = std::chrono::minutes(5);
  // RFC 5321 §4.5.3.2.5-6: 3 minutes between data blocks (the client's own limit).
  Duration data_timeout = std::chrono::minutes(3);
  // Bounds file descriptors and memory; a slow-loris flood cannot take every slot.
  size_t max_connections = 1000;
  size_t max_connections_per_ip = 20;
  // A client that keeps sending bad commands is a scanner or broken; Postfix: smtpd_hard_error_limit.
  size_t max_errors = 10;
  // Commands that do no mail work (NOOP, RSET, VRFY, HELP, EXPN) between two delivered
  // messages; past it 421 4.7.0. A client looping on them only holds a slot. Postfix:
  // smtpd_junk_command_limit 100.
  size_t max_junk_commands = 100;
  // The whole life of one session. command_timeout and data_timeout bound each wait, not their
  // number: a slow-loris client sending a byte before each deadline would keep its slot for
  // ever. 30 minutes carries a maximum-size message (25 MiB) at 20 kB/s (22 min) plus the
  // relay's own wait for its destinations (queue.session_budget, 5 min); the session ends with
  // 421 4.4.2 at its first wait for input after this time.
  Duration max_session_time = std::chrono::minutes(30);
  // Reload when the configuration file's content changes (inotify on its directory; a symlink
  // swap such as a Kubernetes ConfigMap update counts), as SIGHUP does. Off by default: an
  // operator editing the file reloads when ready, as with Postfix.
  bool reload_on_change = false;
  // reload_on_change waits for this long without a further change (an editor or the kubelet
  // writes in several steps) before it reads the file.
  Duration reload_quiet = std::chrono::seconds(1);
  // SIGTERM: how long sessions may finish their current transaction before 421.
  Duration shutdown_grace = std::chrono::seconds(30);
  // The peers (addresses or prefixes) allowed to connect to a proxy listener, whose PROXY header
  // then says who the client is. A header is a claim: from anyone else it could name any
  // address (loopback, an SPF-authorized host), so a connection from elsewhere is closed.
  std::vector<core::IpPrefix> trusted_proxies;
  // PROXY header must arrive within this time on a proxy listener.
  Duration proxy_timeout = std::chrono::seconds(10);
  // TLS handshake deadline after STARTTLS.
  Duration tls_handshake_timeout = std::chrono::seconds(30);
  std::optional<TlsConfig> tls;
};

struct DnsConfig {
  std::vector<std::string> servers;  // "HOST:PORT"; empty: the system's resolv.conf
  Duration timeout = std::chrono::seconds(10);
  size_t cache_entries = 100000;
  // DNSSEC trust anchors (DS or DNSKEY lines, unbound's trust-anchor-file format), for DANE
  // (RFC 7672). The default is the root key Debian's dns-root-data ships; "" turns validation
  // off (then no destination is DANE-protected).
  std::string trust_anchor_file = "/usr/share/dns/root.key";
};

struct RelayConfig {
  uint16_t port = 25;
  std::string helo_name;                    // defaults to server.hostname
  Duration connect_timeout = std::chrono::seconds(30);
  // RFC 5321 §4.5.3.2 client timeouts: the 220 greeting and each of EHLO/MAIL/RCPT (5m),
  // DATA's 354 (2m), each block of message data (3m), the reply to the final "." (10m).
  Duration command_timeout = std::chrono::minutes(5);
  Duration data_start_timeout = std::chrono::minutes(2);
  Duration data_block_timeout = std::chrono::minutes(3);
  Duration final_reply_timeout = std::chrono::minutes(10);
  // A message for several destination domains is committed together: each upstream
  // transaction waits before its final "." until every other one is ready or has failed. This
  // bounds that wait; past it the ready ones commit (the upstream holding the body waits for
  // the dot only some minutes, RFC 5321 §4.5.3.2.5).
  Duration commit_timeout = std::chrono::minutes(2);
  std::vector<std::string> source_ipv4;
  std::vector<std::string> source_ipv6;
  // MX hosts tried per destination domain, best preference first (Postfix has no host cap,
  // only smtp_mx_address_limit). A domain can publish hundreds of MX records, each costing
  // A/AAAA lookups and connects; 5 covers real deployments (large providers publish 5).
  size_t max_mx_hosts = 5;
  // Addresses connected to per destination domain, over all its MX hosts (Postfix:
  // smtp_mx_address_limit 5). 10 lets five hosts be tried over both families, and ten
  // connect timeouts of 30s fill the 5-minute session budget, so more would never be reached.
  size_t max_addresses = 10;
  // Address families for destination MX hosts: "ipv6_first" (IPv6, then IPv4 on failure),
  // "ipv4_first", "ipv4_only", "ipv6_only".
  std::string address_family = "ipv6_first";
  // Destination domains reached over IPv4 only (providers that distrust IPv6 senders).
  std::vector<std::string> ipv4_only;
  // Opportunistic STARTTLS accepts any certificate (RFC 7435); true refuses a bad one.
  bool verify_certificates = false;
  // Certificates of this CA file are trusted beside the system's store, for destinations
  // verified by MTA-STS or tls_policy "verify" (a private CA; tests use their own).
  std::string tls_ca_file;
  // Per destination domain (A-labels): "dane", "mta-sts", "verify", "may" or "none" instead of
  // what the domain publishes (relay/tls_policy.hpp). In file order.
  std::vector<std::pair<std::string, std::string>> tls_policy;
  // MTA-STS (RFC 8461): destinations' policies looked up, fetched over HTTPS and enforced.
  bool mta_sts = true;
  // The whole policy fetch (RFC 8461 §3.3 suggests up to a minute; a forwarding hop answers its
  // client after it, so less) and the largest policy body taken (§3.3: 64 KiB).
  Duration mta_sts_fetch_timeout = std::chrono::seconds(10);
  size_t mta_sts_max_policy_size = 64 * 1024;
  uint16_t mta_sts_port = 443;  // the HTTPS port of mta-sts.<domain> (443; tests use another)
};

// What to do with a message that fails DMARC under p=quarantine (RFC 7489 §6.3): a relay has no
// spam folder, so by default it forwards with the result recorded in Authentication-Results.
enum class QuarantineAction { forward, reject };

struct AuthConfig {
  std::string authserv_id;                  // defaults to server.hostname
  bool dmarc_enforce = true;
  QuarantineAction quarantine = QuarantineAction::forward;
  std::vector<std::string> trusted_arc_sealers;
  std::vector<std::string> dnsbl;
  // SPF runs in helper processes (DESIGN §3): how many, and how long one check may take before
  // its helper is killed and the result is temperror.
  int spf_helpers = 2;
  Duration spf_timeout = std::chrono::seconds(20);
  // The user SPF helpers run as when started with root privileges: never root, and not
  // server.user, so a helper subverted by a hostile record cannot read the keys or the spool.
  std::string spf_helper_user = "nobody";
  // A launcher run by another service (deploy/systemd/hikyaku-spf.socket): its SOCK_SEQPACKET
  // socket, through which the helpers come, running as that service's user. Empty: the relay
  // starts its own launcher (as root) or its own helpers.
  std::string spf_launcher_socket;
  // SPF checks of one client (an IPv4 address or an IPv6 /64) at once; more wait for its turn
  // for at most half of spf_timeout, then are temperror. With the default two helpers, one
  // client sending many messages at once never holds them all.
  size_t spf_per_client = 1;
  // SPF checks waiting for a helper or their client's turn; one more is temperror at once.
  // With two helpers and a check of 0.1-0.4 s, 100 waiting clear in 5-20 s (about spf_timeout);
  // a longer list would only hold sessions until their checks time out.
  size_t spf_queue_limit = 100;
  // All DKIM key, ARC key and DMARC record lookups of one message together; past it the rest are
  // temporary failures (the message is deferred).
  Duration lookup_timeout = std::chrono::seconds(30);
};

struct SrsConfig {
  std::string domain;
  std::vector<std::string> secrets;        // the first signs, all verify
  Duration max_age = std::chrono::hours(24 * 21);
  // Mail to an SRS address goes back to the original sender. true: only bounces (the null
  // sender) may use that path, closing it to anyone who replays a rewritten address as spam
  // for max_age; false: anyone holding such an address may write to its original sender.
  bool bounces_only = true;
  // Hash characters in the addresses we write (4..10). 4 is libsrs2/PostSRSd's length, read
  // ignoring case (about 21 bits); longer hashes are compared with case (6: 36 bits).
  int hash_length = 6;
  // With hash_length > 4: still accept exactly-4-character hashes (written before the length was
  // raised), ignoring case, as before. Turn off once max_age has passed since the change.
  bool accept_legacy_hash = true;
  // Failed reversals at RCPT (forged or damaged hash, expired, malformed SRS) counted per client
  // (an IPv4 address or an IPv6 /64) over failed_reversal_window; past max_failed_reversals
  // that client's further RCPTs to SRS addresses get 450 4.7.1 until the window ends.
  int64_t max_failed_reversals = 10;
  Duration failed_reversal_window = std::chrono::hours(1);
};

// From rewriting (DMARC mitigation, RFC 7960 §3.2.3): whether the RFC5322.From of a forwarded
// message is replaced by a reply address at the forwarding domain. "when-needed": only when
// the author's DMARC policy is quarantine or reject and no aligned author DKIM signature would
// carry DMARC at the destination (SPF cannot survive forwarding).
enum class FromRewriteMode { never, when_needed, always };
const char* to_string(FromRewriteMode m);  // "never", "when-needed", "always"

struct FromRewriteConfig {
  // The domain of the reply addresses a rewritten From gets, which our DKIM keys must sign for
  // (else nothing is rewritten: "no-signing-key"). Empty: [srs] domain. Mail to its reply
  // addresses (FR=...@domain) is routed back to the author. The HMAC keys are [srs] secrets
  // (one list to rotate; the MAC input is kept apart from SRS's, see srs/reply_address.hpp).
  std::string domain;
  // How long a reply address stays valid: people reply to mail weeks later, so longer than
  // [srs] max_age (bounces come within days). At most 1000 days: the day stamp wraps at 1024.
  Duration reply_max_age = std::chrono::hours(24 * 90);
};

struct DkimKeyConfig {
  std::string domain;
  std::string selector;
  std::string algorithm = "rsa-sha256";    // or "ed25519-sha256"
  std::string private_key;                 // path
  int line = 0;                            // where it was declared, for messages
};

struct ArcConfig {
  bool enabled = false;
  std::string domain;
  std::string selector;
  std::string private_key;
};

struct QueueConfig {
  std::string directory = "/var/spool/hikyaku";
  // RFC 5321 §4.5.4.1: retry at least 30 minutes apart is the norm; 5 minutes first, doubling.
  Duration retry_interval = std::chrono::minutes(5);
  // The longest wait between two retries (Postfix: maximal_backoff_time 4000s).
  Duration max_retry_interval = std::chrono::hours(1);
  // RFC 5321 §4.5.4.1: give up after 4-5 days and return the message with a DSN.
  Duration max_lifetime = std::chrono::hours(24 * 5);
  // How long one session waits for its destinations before the rest goes to the queue and the
  // sender gets 250. Below the sender's 10-minute wait for our reply (RFC 5321 §4.5.3.2.6).
  Duration session_budget = std::chrono::minutes(5);
  // Queue deliveries at once per destination domain: large providers throttle many parallel
  // connections from one sender (Postfix: default_destination_concurrency_limit 20).
  size_t destination_concurrency = 10;
  // The free-space floor of the spool's file system: below it new mail gets 452 4.3.1 (RFC 3463
  // §3.4 mail system full) before anything is written. 0 turns that check off.
  uint64_t min_free_space = 100ull * 1024 * 1024;  // bytes available to the service user
  uint64_t min_free_inodes = 1000;                 // files that can still be created
  // The unix socket `hikyaku queue` talks to; empty: "<directory>/control.sock".
  std::string control_socket;
  std::string control_socket_path() const {
    return control_socket.empty() ? directory + "/control.sock" : control_socket;
  }
};

// [reports]: the daily aggregate reports we send (RFC 8460 TLS-RPT; DMARC aggregate reports add
// their own keys below in a block of their own). Records are kept per UTC day in
// <queue.directory>/reports/<kind>/ and sent once a day, DKIM-signed as the forwarding domain.
struct ReportsConfig {
  // From and MAIL FROM of the reports: an address, or a local part completed with "@" and the
  // forwarding domain (srs.domain, else the first [[dkim.key]] domain, else server.hostname).
  std::string sender = "reports";
  // A day's record file never grows past this (a flood of failing destinations cannot fill the
  // spool's disk); records past it are dropped and counted. 64 MiB holds about 300,000 records.
  uint64_t max_bytes_per_day = 64ull * 1024 * 1024;
  // Records written between two fsyncs (also at the daily run and at stop): a crash loses at most
  // this many, and the hot path pays one fsync per batch, not per delivery.
  size_t fsync_batch = 64;
  // How long after 00:00 UTC the day's reports are made (RFC 8460 §4.1 asks for the 24-hour UTC
  // day; a little later, so the day's last deliveries are in).
  Duration send_delay = std::chrono::minutes(5);
  // RFC 8460 §4.4 organization-name and contact-info; "" means server.hostname / the sender.
  std::string organization_name;
  std::string contact_info;
  // RFC 8460: count TLS sessions per destination policy and report them to each destination's
  // _smtp._tls rua (a TXT lookup per destination domain, cached an hour).
  bool tls_reports = true;
  // RFC 9990 DMARC aggregate reports as a receiver: every message whose DMARC Policy Record has
  // a rua= is recorded (accepted or refused) and reported daily to the rua mailto: addresses
  // its domain authorizes (external ones only with the _report._dmarc consent).
  bool dmarc_reports = true;
  // The address sender resolved to (filled by the loader).
  std::string sender_address;
};

// [metrics] max_request_header below this cannot hold "GET /metrics HTTP/1.1" and a Host field.
inline constexpr int64_t kMinRequestHeader = 256;

struct MetricsConfig {
  std::string listen;  // empty: no metrics endpoint
  // One request per connection: read within this time (a client that sends nothing is
  // dropped), its request line and header fields at most this many bytes (else 431).
  Duration request_timeout = std::chrono::seconds(5);
  size_t max_request_header = 8192;
  // /readyz answers 503 once every DNS query for this long has failed (SERVFAIL, timeout).
  Duration dns_failing_for = std::chrono::seconds(60);
};

struct LogConfig {
  std::string level = "info";     // trace, debug, info, warning, error
  std::string format = "text";    // text: Postfix-like lines; json: one object per line
  std::string target = "stderr";  // stderr, or journald (native fields)
};

enum class RouteAction { forward, drop, reject };

struct RouteTarget {
  RouteAction action = RouteAction::reject;
  std::vector<std::string> forward_to;     // mailboxes, for forward
  int reply_code = 550;                    // for reject
  std::string reply_text = "5.1.1 Recipient address rejected";  // for reject; may start with an enhanced code
};

struct RuleConfig {
  std::string address;                     // local part, as configured
  RouteTarget target;
  std::optional<FromRewriteMode> from_rewrite;  // unset: the domain's
  int line = 0;
};

struct DomainConfig {
  std::string name;                        // as configured (ASCII or U-labels)
  std::optional<RouteTarget> catch_all;
  bool subaddressing = true;
  std::string subaddress_separator = "+";  // one or more separator characters, any of which splits
  std::vector<RuleConfig> rules;
  // Per-domain DMARC overrides of [auth] dmarc_enforce / quarantine; unset: the [auth] value.
  std::optional<bool> dmarc_enforce;
  std::optional<QuarantineAction> quarantine;
  FromRewriteMode from_rewrite = FromRewriteMode::when_needed;
  int line = 0;
};

// What `hikyaku dns-records`, `postmaster` and `doctor -c` know about our side (DESIGN §4).
struct InboundMx {
  unsigned preference = 10;
  std::string host;  // lowercase A-labels
};

struct DoctorConfig {
  // The MX records a served domain publishes: our inbound hosts. Default: 10 server.hostname.
  std::vector<InboundMx> inbound_mx;
  // The name served domains include in their SPF. Default: srs.domain, else server.hostname.
  std::string spf_include;
  // The egress networks (SPF of the SRS domain, what postmasters allowlist). Default: every
  // relay.source_ipv4 address as /32 and source_ipv6 address as /128.
  std::vector<std::string> egress_prefixes;
  // The rua= mailbox of the DMARC record dns-records suggests; empty: none.
  std::string dmarc_rua;
  // A reverse-proxy/CDN ranges file replacing the built-in conf/proxy-ranges.txt list.
  std::string proxy_ranges;
  // Names a served domain delegates to us with a CNAME ("mta-sts" -> "mta-sts.fwd.example.net"):
  // dns-records prints them, doctor -c checks each authoritative server answers the CNAME
  // itself (not a flattened copy of its target). Empty by default.
  struct Cname {
    std::string label;   // relative to the served domain, lowercase
    std::string target;  // lowercase, no trailing dot
  };
  std::vector<Cname> cnames;
};

struct Config {
  std::string source_path;                 // the file it came from
  // What config/lint found that works but is probably not meant, as "FILE:LINE: warning: ...":
  // `hikyaku check` prints them, the server logs them when it loads the file.
  std::vector<std::string> warnings;
  ServerConfig server;
  DnsConfig dns;
  RelayConfig relay;
  AuthConfig auth;
  SrsConfig srs;
  FromRewriteConfig from_rewrite;
  std::vector<DkimKeyConfig> dkim_keys;
  ArcConfig arc;
  QueueConfig queue;
  MetricsConfig metrics;
  ReportsConfig reports;
  LogConfig log;
  DoctorConfig doctor;
  std::vector<DomainConfig> domains;
};

}  // namespace hikyaku::config
