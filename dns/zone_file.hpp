// RFC 1035 §5 master files to records: $ORIGIN, $TTL (RFC 2308 §4), '@', relative and absolute
// owner names, omitted owner/TTL/class, class IN, types A AAAA MX TXT PTR CNAME NS SOA (§3.3).
// Other well-known types are skipped (their owner still exists). Errors as FILE:LINE: message.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/expected.hpp"
#include "dns/types.hpp"
#include "dns/zone_lexer.hpp"

namespace hikyaku::dns {

struct SoaRecord {
  std::string mname, rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
  bool operator==(const SoaRecord&) const = default;
};

// TXT: the character-strings as written, each at most 255 octets.
struct TxtRecord {
  std::vector<std::string> strings;
  std::string joined() const;
  bool operator==(const TxtRecord&) const = default;
};

// A name target (PTR, CNAME, NS), canonical.
struct NameRecord {
  std::string name;
  bool operator==(const NameRecord&) const = default;
};

// The record of a type this reader skips (SRV, CAA, ...): it only makes its owner exist.
struct OtherRecord {
  std::string type;  // the mnemonic as written, upper case
  bool operator==(const OtherRecord&) const = default;
};

using RecordData = std::variant<asio::ip::address, MxRecord, TxtRecord, NameRecord, SoaRecord,
                                TlsaRecord, OtherRecord>;

struct ZoneRecord {
  std::string owner;  // canonical
  RecordType type = RecordType::a;  // meaningless for OtherRecord
  uint32_t ttl = 0;
  RecordData data;
  std::string file;
  int line = 0;
  bool is_other() const { return std::holds_alternative<OtherRecord>(data); }
};

struct ZoneFileOptions {
  // The origin before any $ORIGIN (canonical or absolute text; empty: none, and relative
  // names before a $ORIGIN are errors).
  std::string origin;
  size_t max_errors = 50;  // stop collecting after this many
};

// Parses master-file text. `file` names it in errors. On failure every error found (up to
// max_errors) is returned, in line order; $INCLUDE and $GENERATE are reported as unsupported.
core::Expected<std::vector<ZoneRecord>, std::vector<ZoneError>> parse_zone(
    std::string_view text, std::string_view file, const ZoneFileOptions& options = {});

// Reads and parses one file; an unreadable file is one error with line 0.
core::Expected<std::vector<ZoneRecord>, std::vector<ZoneError>> load_zone_file(
    const std::string& path, const ZoneFileOptions& options = {});

// Durations as zone files write TTLs: decimal seconds, or BIND units "1w2d3h4m5s"
// (case-insensitive). nullopt when malformed or over 2^31-1 (RFC 2181 §8).
std::optional<uint32_t> parse_ttl(std::string_view text);

}  // namespace hikyaku::dns
