// The messages between the relay and an SPF helper process over their socketpair (DESIGN §3):
// a check request, the helper's DNS queries with their answers, and the final verdict for the
// MAIL FROM (RFC 7208 §2.4) and HELO (RFC 7208 §2.3) identities. Pure: bytes in, values out;
// decoding is bounded by kSpfMaxFrame and reports malformed input as an error value.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/results.hpp"
#include "core/expected.hpp"
#include "dns/types.hpp"

namespace hikyaku::auth {

// A frame is a 4-octet big-endian payload length, then the payload: one type octet and the
// fields. Strings are a 2-octet big-endian length and the octets. The bound keeps a broken or
// hostile peer from making the other side allocate without limit.
inline constexpr size_t kSpfFrameHeader = 4;
inline constexpr size_t kSpfMaxFrame = 64 * 1024;  // payload octets

enum class SpfWireError {
  truncated,       // the payload ends inside a field
  oversize,        // a length over kSpfMaxFrame (or a field too long to encode)
  empty,           // a zero-length payload
  bad_type,        // an unknown message type octet
  bad_value,       // a field out of range (result, status, record type) or a NUL in a name
  trailing_bytes,  // octets after the last field
};
const char* to_string(SpfWireError e);

// relay -> helper: evaluate SPF for one client. mail_from "" is the null sender (RFC 7208
// §2.4: then postmaster@helo is checked). rec_dom names the receiving host (the %{r} macro).
struct SpfCheckRequest {
  std::string client_ip;  // "192.0.2.1" or "2001:db8::1"
  std::string helo;
  std::string mail_from;
  std::string rec_dom;
  bool operator==(const SpfCheckRequest&) const = default;
};

// helper -> relay: the helper's DNS layer needs (name, type). Only A, AAAA, TXT, MX and PTR,
// the types an SPF evaluation asks for (RFC 7208 §5), are valid on the wire.
struct SpfDnsQuery {
  std::string name;
  dns::RecordType type = dns::RecordType::txt;
  bool operator==(const SpfDnsQuery&) const = default;
};

enum class SpfDnsStatus : uint8_t { ok, nxdomain, nodata, temperror };

// relay -> helper: the answer. records: A/AAAA in text form, TXT with its character-strings
// joined (RFC 7208 §3.3), MX "pref host" or "host", PTR the host.
struct SpfDnsReply {
  SpfDnsStatus status = SpfDnsStatus::temperror;
  uint32_t ttl = 0;
  std::vector<std::string> records;
  bool operator==(const SpfDnsReply&) const = default;
};

// helper -> relay: the verdict (SpfVerdict of results.hpp).
using SpfMessage = std::variant<SpfCheckRequest, SpfDnsQuery, SpfDnsReply, SpfVerdict>;

// The whole frame (header and payload); oversize when the payload would pass kSpfMaxFrame.
core::Expected<std::string, SpfWireError> encode_spf_frame(const SpfMessage& message);

// The payload length announced by a 4-octet header: truncated when `header` is shorter, empty
// for 0, oversize above kSpfMaxFrame.
core::Expected<size_t, SpfWireError> parse_spf_frame_header(std::string_view header);

// One payload (without the header), exactly.
core::Expected<SpfMessage, SpfWireError> decode_spf_payload(std::string_view payload);

// One whole frame, exactly (header, payload, nothing after).
core::Expected<SpfMessage, SpfWireError> decode_spf_frame(std::string_view frame);

// The conversions between a dns::DnsAnswer and what the helper needs.
SpfDnsReply to_spf_dns_reply(const dns::DnsAnswer& answer);

}  // namespace hikyaku::auth
