// The values every resolver returns: record types, the outcome of a lookup (success, the two
// permanent failures NXDOMAIN/NODATA of RFC 2308 §2, the temporary SERVFAIL/timeout), and the
// typed records of RFC 1035 §3.3 (CNAME, MX, PTR, TXT), §3.4.1 (A) and RFC 3596 §2 (AAAA).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace hikyaku::dns {

namespace asio = boost::asio;

// The types the program asks for. NS and SOA are read from zone files but never queried.
enum class RecordType : uint16_t {
  a = 1,
  ns = 2,
  cname = 5,
  soa = 6,
  ptr = 12,
  mx = 15,
  txt = 16,
  aaaa = 28,
  tlsa = 52,  // RFC 6698 §2: DANE, asked for _25._tcp.<mx host> (RFC 7672 §2.2)
};

std::string_view to_string(RecordType type);  // "MX"
// Case-insensitive mnemonic ("mx", "AAAA") of the types above; nullopt for anything else.
std::optional<RecordType> parse_record_type(std::string_view mnemonic);

enum class DnsStatus {
  ok,        // the name has records of the type asked for
  nxdomain,  // permanent: the name does not exist (RCODE 3)
  nodata,    // permanent: the name exists but has no records of this type (RFC 2308 §2.2)
  servfail,  // temporary: the server failed, refused, or the answer was unusable
  timeout,   // temporary: no answer within the configured dns.timeout
};

std::string_view to_string(DnsStatus status);  // "NXDOMAIN"
inline bool is_temporary(DnsStatus s) { return s == DnsStatus::servfail || s == DnsStatus::timeout; }
inline bool is_permanent_failure(DnsStatus s) {
  return s == DnsStatus::nxdomain || s == DnsStatus::nodata;
}

struct MxRecord {
  uint16_t preference = 0;
  std::string exchange;  // lowercase, no trailing dot; "." for the null MX of RFC 7505
  bool operator==(const MxRecord&) const = default;
};

// A TLSA record (RFC 6698 §2.1): certificate usage, selector, matching type, and the
// certificate association data (raw bytes: a digest, or a whole certificate or SPKI).
struct TlsaRecord {
  uint8_t usage = 0;
  uint8_t selector = 0;
  uint8_t matching_type = 0;
  std::string data;
  bool operator==(const TlsaRecord&) const = default;
};
// Presentation form (RFC 6698 §2.2): "3 1 1 0123ab..." with the data in lowercase hex.
std::string to_string(const TlsaRecord& r);

// One lookup's outcome. Names here are lowercase presentation form without the trailing dot
// (the root is "."); bytes outside printable ASCII and '.', '\' inside a label are escaped as
// in RFC 1035 §5.1 ("\046", "\\").
struct DnsAnswer {
  DnsStatus status = DnsStatus::servfail;
  std::string name;          // the name asked for, normalised
  RecordType type = RecordType::a;
  // Seconds the answer may be kept. ok: the smallest TTL of the record set and of every CNAME
  // followed (RFC 2181 §5.2). nxdomain/nodata: min(SOA TTL, SOA MINIMUM) from the authority
  // section (RFC 2308 §5), 0 when there was no SOA (such answers are not cached). 0 otherwise.
  uint32_t ttl = 0;
  // CNAME targets followed from `name`, in order (RFC 1034 §3.6.2); empty when none.
  std::vector<std::string> cname_chain;
  // The name the records belong to: the last CNAME target, or `name`.
  std::string canonical_name;

  std::vector<MxRecord> mx;                     // MX, in the order received
  std::vector<asio::ip::address> addresses;     // A or AAAA
  std::vector<std::string> texts;               // TXT: each record's character-strings joined
  std::vector<std::string> names;               // PTR, CNAME, NS targets
  std::vector<TlsaRecord> tlsa;                 // TLSA
  // DNSSEC: the answer (records or the denial) validated from a configured trust anchor
  // (RFC 4035 §4.3 "secure"). A bogus answer is never an answer: it is servfail with a detail.
  bool secure = false;
  std::string detail;  // for servfail/timeout: what went wrong, for logs

  bool ok() const { return status == DnsStatus::ok; }
  bool temporary_failure() const { return is_temporary(status); }
  bool permanent_failure() const { return is_permanent_failure(status); }
  // A single MX "0 ." (RFC 7505 §3): the domain accepts no mail.
  bool is_null_mx() const;
  size_t record_count() const {
    return mx.size() + addresses.size() + texts.size() + names.size() + tlsa.size();
  }

  // An answer with no records and the given status, for `name` (already normalised).
  static DnsAnswer failure(std::string name, RecordType type, DnsStatus status,
                           std::string detail = {});
};

// A log-friendly one-line summary: "example.test MX ok ttl=300 [10 mx1.example.test, ...]".
std::string describe(const DnsAnswer& answer);

}  // namespace hikyaku::dns
