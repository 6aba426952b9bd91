// The check functions `run_checks` calls, one per area, each a pure function of the answers
// it reads through `lookup` (docs/doctor-checks.md documents every check id they report), and
// the small helpers they share.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "doctor/answers.hpp"
#include "doctor/doctor.hpp"

namespace hikyaku::doctor {

void check_mx(const DoctorOptions& options, Lookup& lookup, Report& report);              // mx.*
void check_proxied_hosts(const DoctorOptions& options, Lookup& lookup, Report& report);   // proxy.*
void check_spf(const DoctorOptions& options, Lookup& lookup, Report& report);             // spf.*
void check_dmarc(const DoctorOptions& options, Lookup& lookup, Report& report);           // dmarc.*
void check_dkim(const DoctorOptions& options, Lookup& lookup, Report& report);            // dkim.*
void check_mta_sts(const DoctorOptions& options, Lookup& lookup, Report& report);         // mta_sts.*, tls_rpt.*
void check_ptr(const DoctorOptions& options, Lookup& lookup, Report& report);             // ptr.*
void check_propagation(const DoctorOptions& options, Lookup& lookup, Report& report);     // propagation.*
void check_ours(const DoctorOptions& options, Lookup& lookup, Report& report);            // ours.*

// The addresses (A then AAAA) of `host`; nullopt while an answer is still missing. `temporary`
// is set when either lookup failed temporarily.
struct HostAddresses {
  std::vector<boost::asio::ip::address> addresses;
  const dns::DnsAnswer* a = nullptr;
  const dns::DnsAnswer* aaaa = nullptr;
  bool temporary() const { return a->temporary_failure() || aaaa->temporary_failure(); }
  bool nxdomain() const { return a->status == dns::DnsStatus::nxdomain; }
  bool has_v6() const;
};
std::optional<HostAddresses> host_addresses(Lookup& lookup, std::string_view host);

// The TXT strings of an answer that are SPF records (RFC 7208 §4.5).
std::vector<std::string> spf_records(const dns::DnsAnswer& txt);

// `text` as a zone-file TXT value: quoted, split into strings of at most 255 octets
// (RFC 1035 §3.3.14), '"' and '\' escaped.
std::string quote_txt(std::string_view text);

// What a walk through a domain's SPF record (includes and redirects followed) found, for one
// sender address family (RFC 7208 §4.6.4 counts and void lookups differ: `a` asks A for an
// IPv4 sender and AAAA for an IPv6 one).
struct SpfWalk {
  bool v6 = false;
  int lookups = 0;                // DNS-querying terms (§4.6.4): include a mx ptr exists redirect
  int void_lookups = 0;           // of those, answers with no records (§4.6.4)
  std::vector<Prefix> pass;       // networks given a pass result, for this family
  bool conclusive = true;         // false when macros, exists or a temporary failure intervened
  bool temporary = false;         // a lookup failed temporarily
  std::vector<std::string> loops;         // "a -> b -> a"
  std::vector<std::string> missing;       // include/redirect targets without an SPF record
  std::vector<std::string> proxied;       // "a:mail.example.com resolves to 104.16.1.1 (104.16.0.0/13)"
  std::vector<std::string> ptr_terms;     // where ptr is used
  std::vector<std::string> multiple;      // included names with more than one SPF record
  std::vector<std::string> syntax;        // included names with a syntax error (name: message)
};
// nullopt while answers are missing.
std::optional<SpfWalk> walk_spf(Lookup& lookup, const ProxyRanges& ranges, std::string_view domain, bool v6);

// The authoritative servers to ask directly ("IP:PORT"): options.authoritative, or the
// addresses of the NS hosts of the closest enclosing zone (`zone` is set to it) on
// options.authoritative_port. nullopt while answers are missing or when the NS records cannot be
// read (reported to `report` when given).
std::optional<std::vector<std::string>> authoritative_servers(const DoctorOptions& options, Lookup& lookup,
                                                             std::string& zone, Report* report);

// The DKIM key record's public key size in bits (RSA) or 256 (Ed25519); nullopt when p= does
// not decode to a key of the k= type.
std::optional<int> dkim_key_bits(std::string_view key_type, std::string_view p_base64);

}  // namespace hikyaku::doctor
