// Master-file parser: RFC 1035 §5.1 (entries, $ORIGIN, '@', owner/TTL/class defaults), §3.3
// and RFC 3596 §2 RDATA formats, RFC 2308 §4 ($TTL), RFC 3597 §5 (TYPEnnn mnemonics).
#include "dns/zone_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "dns/names.hpp"

namespace hikyaku::dns {

namespace {

// Types found in real zone files that this reader skips rather than refuses.
constexpr std::string_view kSkippedTypes[] = {
    "AFSDB", "CAA",  "CDNSKEY", "CDS",   "CERT",       "CSYNC",  "DHCID", "DNAME",
    "DNSKEY", "DS",  "HINFO",   "HTTPS", "IPSECKEY",   "KX",     "LOC",   "NAPTR",
    "NSEC",  "NSEC3", "NSEC3PARAM", "OPENPGPKEY", "RP", "RRSIG", "SMIMEA", "SPF",
    "SRV",   "SSHFP", "SVCB",   "URI",   "ZONEMD",
};

// An even number of hex digits as bytes (the TLSA data field, RFC 6698 §2.2).
std::optional<std::string> decode_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uint64_t> parse_decimal(std::string_view s, uint64_t max) {
  if (!all_digits(s) || s.size() > 12) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v > max) return std::nullopt;
  return v;
}

bool is_class_mnemonic(const std::string& u) {
  return u == "IN" || u == "CH" || u == "CS" || u == "HS" || u == "ANY" ||
         (u.rfind("CLASS", 0) == 0 && all_digits(std::string_view(u).substr(5)));
}

class Parser {
 public:
  Parser(std::string_view file, const ZoneFileOptions& options) : file_(file), options_(options) {
    if (!options.origin.empty()) {
      if (auto origin = parse_name(options.origin)) {
        origin_ = origin->labels;
      } else {
        add_error(0, "bad default origin: " + origin.error());
      }
    }
  }

  void entry(const ZoneEntry& e) {
    if (errors_.size() >= options_.max_errors) return;
    entry_error_.reset();
    if (!e.starts_with_blank && !e.tokens[0].quoted && e.tokens[0].text.starts_with("$")) {
      directive(e);
    } else {
      record(e);
    }
    if (entry_error_) add_error(entry_error_->line, std::move(entry_error_->message));
  }

  void add_error(int line, std::string message) {
    if (errors_.size() < options_.max_errors) {
      errors_.push_back({std::string(file_), line, std::move(message)});
    }
  }

  std::vector<ZoneRecord> records_;
  std::vector<ZoneError> errors_;

 private:
  // An entry stops at its first error (the one reported); helpers return a placeholder
  // value after fail() and callers check failed() before keeping anything.
  struct EntryError {
    int line;
    std::string message;
  };
  void fail(int line, std::string message) {
    if (!entry_error_) entry_error_ = EntryError{line, std::move(message)};
  }
  bool failed() const { return entry_error_.has_value(); }

  void directive(const ZoneEntry& e) {
    const ZoneToken& d = e.tokens[0];
    const std::string name = upper(d.text);
    if (name == "$ORIGIN") {
      if (!expect_count(e.tokens, 2, "$ORIGIN takes one name")) return;
      Labels origin = labels_of(e.tokens[1]);
      if (!failed()) origin_ = std::move(origin);
    } else if (name == "$TTL") {
      if (!expect_count(e.tokens, 2, "$TTL takes one TTL")) return;
      const uint32_t ttl = ttl_of(e.tokens[1]);
      if (!failed()) default_ttl_ = ttl;
    } else if (name == "$INCLUDE" || name == "$GENERATE") {
      fail(d.line, d.text + " is not supported");
    } else {
      fail(d.line, "unknown directive " + d.text);
    }
  }

  void record(const ZoneEntry& e) {
    const auto& t = e.tokens;
    size_t i = 0;
    std::string owner;
    if (e.starts_with_blank) {
      if (!last_owner_) return fail(e.line, "no owner name, and no earlier record to take it from");
      owner = *last_owner_;
    } else {
      owner = labels_to_name(labels_of(t[0]));
      if (failed()) return;
      i = 1;
    }
    last_owner_ = owner;

    std::optional<uint32_t> ttl;
    bool have_class = false;
    for (; i < t.size() && !t[i].quoted; ++i) {
      const std::string u = upper(t[i].text);
      if (!ttl && !t[i].text.empty() && t[i].text[0] >= '0' && t[i].text[0] <= '9') {
        ttl = ttl_of(t[i]);
        if (failed()) return;
      } else if (!have_class && is_class_mnemonic(u)) {
        if (u != "IN") return fail(t[i].line, "class " + t[i].text + " is not supported (only IN)");
        have_class = true;
      } else {
        break;
      }
    }
    if (i >= t.size()) return fail(t.back().line, "missing record type");
    const ZoneToken& type_token = t[i];
    const std::vector<ZoneToken> rdata(t.begin() + static_cast<std::ptrdiff_t>(i) + 1, t.end());

    ZoneRecord rec;
    rec.owner = std::move(owner);
    rec.file = std::string(file_);
    rec.line = type_token.line;
    rec.data = rdata_of(type_token, rdata, rec.type);
    if (failed()) return;

    if (ttl) {
      last_ttl_ = ttl;
      rec.ttl = *ttl;
    } else if (default_ttl_) {
      rec.ttl = *default_ttl_;
    } else if (last_ttl_) {
      rec.ttl = *last_ttl_;
    } else if (const auto* soa = std::get_if<SoaRecord>(&rec.data)) {
      rec.ttl = soa->minimum;  // RFC 1035 §5.1's default before $TTL existed
    } else {
      return fail(e.line, "no TTL: give one on the record or set $TTL");
    }
    records_.push_back(std::move(rec));
  }

  RecordData rdata_of(const ZoneToken& type_token, const std::vector<ZoneToken>& rd,
                      RecordType& type) {
    const int line = type_token.line;
    const std::string u = upper(type_token.text);
    if (type_token.quoted) return fail(line, "expected a record type, found a quoted string"), RecordData{};
    const auto known = parse_record_type(u);
    if (!known) {
      const bool generic = u.rfind("TYPE", 0) == 0 && parse_decimal(std::string_view(u).substr(4), 65535);
      if (generic || std::find(std::begin(kSkippedTypes), std::end(kSkippedTypes), u) != std::end(kSkippedTypes)) {
        return OtherRecord{u};
      }
      if (is_class_mnemonic(u)) {
        fail(line, "class " + type_token.text + " given twice or after the TTL and class");
      } else {
        fail(line, "unknown record type " + type_token.text);
      }
      return {};
    }
    type = *known;
    const std::string label = std::string(to_string(type)) + " ";
    switch (type) {
      case RecordType::a:
      case RecordType::aaaa: {
        if (!expect_rdata(rd, 1, line, label + "takes one address")) return {};
        boost::system::error_code ec;
        const std::string& text = plain(rd[0]);
        if (type == RecordType::a) {
          const auto v4 = asio::ip::make_address_v4(text, ec);
          if (ec) fail(rd[0].line, "bad IPv4 address \"" + text + "\"");
          return asio::ip::address(v4);
        }
        const auto v6 = asio::ip::make_address_v6(text, ec);
        if (ec || text.find('%') != std::string::npos) {
          fail(rd[0].line, "bad IPv6 address \"" + text + "\"");
        }
        return asio::ip::address(v6);
      }
      case RecordType::mx: {
        if (!expect_rdata(rd, 2, line, "MX takes a preference and a host name")) return {};
        const auto pref = parse_decimal(plain(rd[0]), 65535);
        if (!pref) return fail(rd[0].line, "bad MX preference \"" + rd[0].text + "\" (0-65535)"), RecordData{};
        return MxRecord{static_cast<uint16_t>(*pref), labels_to_name(labels_of(rd[1]))};
      }
      case RecordType::txt: {
        if (rd.empty()) return fail(line, "TXT needs at least one string"), RecordData{};
        TxtRecord txt;
        for (const auto& tok : rd) {
          auto s = decode_escapes(tok.text);
          if (!s) return fail(tok.line, "bad escape in \"" + tok.text + "\""), RecordData{};
          if (s->size() > 255) {
            fail(tok.line, "TXT string longer than 255 octets; split it into several quoted strings");
            return {};
          }
          txt.strings.push_back(std::move(*s));
        }
        return txt;
      }
      case RecordType::ptr:
      case RecordType::cname:
      case RecordType::ns:
        if (!expect_rdata(rd, 1, line, label + "takes one name")) return {};
        return NameRecord{labels_to_name(labels_of(rd[0]))};
      case RecordType::tlsa: {
        // RFC 6698 §2.2: usage, selector, matching type in decimal, then the data in hex,
        // which may be split by white space.
        if (rd.size() < 4) return fail(line, "TLSA takes usage, selector, matching type and hex data"), RecordData{};
        TlsaRecord tlsa;
        uint8_t* fields[] = {&tlsa.usage, &tlsa.selector, &tlsa.matching_type};
        for (size_t i = 0; i < 3; ++i) {
          const auto v = parse_decimal(plain(rd[i]), 255);
          if (!v) return fail(rd[i].line, "bad TLSA field \"" + rd[i].text + "\" (0-255)"), RecordData{};
          *fields[i] = static_cast<uint8_t>(*v);
        }
        std::string hex;
        for (size_t i = 3; i < rd.size(); ++i) hex += plain(rd[i]);
        auto data = decode_hex(hex);
        if (!data) return fail(rd[3].line, "bad TLSA data: hex digits expected"), RecordData{};
        tlsa.data = std::move(*data);
        return tlsa;
      }
      case RecordType::soa: {
        if (!expect_rdata(rd, 7, line, "SOA takes MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM")) {
          return {};
        }
        SoaRecord soa;
        soa.mname = labels_to_name(labels_of(rd[0]));
        soa.rname = labels_to_name(labels_of(rd[1]));
        const auto serial = parse_decimal(plain(rd[2]), UINT32_MAX);
        if (!serial) fail(rd[2].line, "bad SOA serial \"" + rd[2].text + "\"");
        soa.serial = static_cast<uint32_t>(serial.value_or(0));
        soa.refresh = ttl_of(rd[3]);
        soa.retry = ttl_of(rd[4]);
        soa.expire = ttl_of(rd[5]);
        soa.minimum = ttl_of(rd[6]);
        return soa;
      }
    }
    fail(line, "unsupported record type " + type_token.text);
    return {};
  }

  bool expect_count(const std::vector<ZoneToken>& t, size_t n, const std::string& what) {
    if (t.size() != n) fail(t.back().line, what);
    return !failed();
  }
  bool expect_rdata(const std::vector<ZoneToken>& rd, size_t n, int line, const std::string& what) {
    if (rd.size() < n) fail(line, what + ": missing field");
    if (rd.size() > n) fail(rd[n].line, what + ": unexpected \"" + rd[n].text + "\"");
    return !failed();
  }
  const std::string& plain(const ZoneToken& tok) {
    if (tok.quoted) fail(tok.line, "unexpected quoted string \"" + tok.text + "\"");
    return tok.text;
  }

  uint32_t ttl_of(const ZoneToken& tok) {
    const auto v = parse_ttl(plain(tok));
    if (!v) fail(tok.line, "bad TTL \"" + tok.text + "\"");
    return v.value_or(0);
  }

  // A name field: '@' is the origin; a relative name gets the origin appended.
  Labels labels_of(const ZoneToken& tok) {
    const std::string& text = plain(tok);
    if (text == "@") {
      if (!origin_) return fail(tok.line, "'@' used with no $ORIGIN"), Labels{};
      return *origin_;
    }
    auto parsed = parse_name(text);
    if (!parsed) return fail(tok.line, "bad name: " + parsed.error()), Labels{};
    if (parsed->absolute) return std::move(parsed->labels);
    if (!origin_) return fail(tok.line, "relative name \"" + text + "\" with no $ORIGIN"), Labels{};
    Labels labels = std::move(parsed->labels);
    labels.insert(labels.end(), origin_->begin(), origin_->end());
    if (wire_length(labels) > kMaxNameLength) {
      fail(tok.line, "name longer than 255 octets after appending the origin");
    }
    return labels;
  }

  std::string_view file_;
  const ZoneFileOptions& options_;
  std::optional<Labels> origin_;
  std::optional<uint32_t> default_ttl_;
  std::optional<uint32_t> last_ttl_;
  std::optional<std::string> last_owner_;
  std::optional<EntryError> entry_error_;
};

}  // namespace

std::string TxtRecord::joined() const {
  std::string out;
  for (const auto& s : strings) out += s;
  return out;
}

std::optional<uint32_t> parse_ttl(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t total = 0;
  uint64_t number = 0;
  bool have_digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      number = number * 10 + static_cast<uint64_t>(c - '0');
      if (number > 0x7fffffffu) return std::nullopt;
      have_digits = true;
      continue;
    }
    uint64_t unit = 0;
    switch (c) {
      case 's': case 'S': unit = 1; break;
      case 'm': case 'M': unit = 60; break;
      case 'h': case 'H': unit = 3600; break;
      case 'd': case 'D': unit = 86400; break;
      case 'w': case 'W': unit = 604800; break;
      default: return std::nullopt;
    }
    if (!have_digits) return std::nullopt;
    total += number * unit;
    if (total > 0x7fffffffu) return std::nullopt;
    number = 0;
    have_digits = false;
  }
  total += number;
  if (total > 0x7fffffffu) return std::nullopt;
  return static_cast<uint32_t>(total);
}

core::Expected<std::vector<ZoneRecord>, std::vector<ZoneError>> parse_zone(
    std::string_view text, std::string_view file, const ZoneFileOptions& options) {
  LexedZone lexed = split_entries(text, file);
  Parser parser(file, options);
  for (const auto& e : lexed.entries) parser.entry(e);
  if (lexed.error) parser.add_error(lexed.error->line, lexed.error->message);
  if (!parser.errors_.empty()) return core::unexpected(std::move(parser.errors_));
  return std::move(parser.records_);
}

core::Expected<std::vector<ZoneRecord>, std::vector<ZoneError>> load_zone_file(
    const std::string& path, const ZoneFileOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::unexpected(std::vector<ZoneError>{{path, 0, std::string("cannot read: ") + std::strerror(errno)}});
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return core::unexpected(std::vector<ZoneError>{{path, 0, "read error"}});
  return parse_zone(buf.str(), path, options);
}

}  // namespace hikyaku::dns
