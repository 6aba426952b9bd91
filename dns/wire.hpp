// Reading DNS messages in wire format (RFC 1035 §4.1: header, question, resource records;
// §4.1.4: name compression) and turning a reply into a DnsAnswer: follow the CNAME chain from
// the question name (RFC 1034 §3.6.2), take the negative TTL from the SOA (RFC 2308 §5).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/types.hpp"

namespace hikyaku::dns {

struct WireRecord {
  std::string owner;      // canonical text
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;
  size_t rdata_offset = 0;  // into the message (names in RDATA may point elsewhere in it)
  size_t rdata_length = 0;
};

struct WireMessage {
  std::span<const uint8_t> bytes;  // the message the offsets refer to (not owned)
  uint16_t id = 0;
  uint16_t flags = 0;
  int rcode = 0;  // the 4-bit RCODE of the header
  std::string question_name;
  uint16_t question_type = 0;
  std::vector<WireRecord> answer;
  std::vector<WireRecord> authority;
};

// Parses header, question and the answer and authority sections (the additional section is
// skipped). nullopt when the message is truncated or malformed.
std::optional<WireMessage> parse_message(std::span<const uint8_t> bytes);

// Reads a possibly compressed name starting at `offset` and moves `offset` past it. Pointers
// must point backwards (no loops); labels are checked against RFC 1035 limits.
std::optional<std::string> read_name(std::span<const uint8_t> message, size_t& offset);

// Decodes one record's RDATA (A, AAAA, MX, TXT, PTR, CNAME, NS) into the matching vector of
// `answer` (SOA is only checked). False when the RDATA is malformed for its type. `message` is what names in the
// RDATA may point into; a lone RDATA with uncompressed names is its own message.
bool append_rdata(DnsAnswer& answer, RecordType type, std::span<const uint8_t> message,
                  size_t offset, size_t length);

struct SoaFields {
  std::string mname, rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};
std::optional<SoaFields> decode_soa(std::span<const uint8_t> message, size_t offset, size_t length);

// The answer to (`name`, `type`) that `reply` carries: status from the RCODE and the answer
// section, records of `type` at the end of the CNAME chain, TTLs as DnsAnswer documents.
// `name` is canonical. A reply for another question, or with unreadable RDATA, is SERVFAIL.
DnsAnswer answer_from_message(const WireMessage& reply, const std::string& name, RecordType type);

}  // namespace hikyaku::dns
