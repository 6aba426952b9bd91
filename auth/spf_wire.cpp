// The relay <-> SPF helper message format (spf_wire.hpp): length-prefixed frames, bounded
// decoding with errors as values. The verdict fields carry RFC 7208 §2.6 result words.
#include "auth/spf_wire.hpp"

#include <optional>
#include <type_traits>

namespace hikyaku::auth {
namespace {

enum class Tag : uint8_t { check = 1, dns_query = 2, dns_reply = 3, verdict = 4 };

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) {
    u8(static_cast<uint8_t>(v >> 8));
    u8(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void str(std::string_view s) {
    if (s.size() > 0xffff) {
      too_long_ = true;
      return;
    }
    u16(static_cast<uint16_t>(s.size()));
    out_.append(s);
  }
  bool too_long() const { return too_long_; }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
  bool too_long_ = false;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u8(uint8_t& v) {
    if (in_.size() - pos_ < 1) return fail(SpfWireError::truncated);
    v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool u16(uint16_t& v) {
    uint8_t hi = 0, lo = 0;
    if (!u8(hi) || !u8(lo)) return false;
    v = static_cast<uint16_t>((hi << 8) | lo);
    return true;
  }
  bool u32(uint32_t& v) {
    uint16_t hi = 0, lo = 0;
    if (!u16(hi) || !u16(lo)) return false;
    v = (static_cast<uint32_t>(hi) << 16) | lo;
    return true;
  }
  // `name`: a string handed to libspf2 as a C string, so a NUL in it is refused.
  bool str(std::string& s, bool name) {
    uint16_t n = 0;
    if (!u16(n)) return false;
    if (in_.size() - pos_ < n) return fail(SpfWireError::truncated);
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    if (name && s.find('\0') != std::string::npos) return fail(SpfWireError::bad_value);
    return true;
  }
  bool fail(SpfWireError e) {
    if (!error_) error_ = e;
    return false;
  }
  bool at_end() const { return pos_ == in_.size(); }
  SpfWireError error() const { return error_.value_or(SpfWireError::truncated); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  std::optional<SpfWireError> error_;
};

bool valid_query_type(dns::RecordType t) {
  using dns::RecordType;
  return t == RecordType::a || t == RecordType::aaaa || t == RecordType::txt ||
         t == RecordType::mx || t == RecordType::ptr;
}

void write_outcome(Writer& w, const SpfOutcome& o) {
  w.u8(static_cast<uint8_t>(o.result));
  w.str(o.identity);
  w.str(o.domain);
  w.str(o.reason);
}

bool read_outcome(Reader& r, SpfOutcome& o) {
  uint8_t result = 0;
  if (!r.u8(result)) return false;
  if (result > static_cast<uint8_t>(SpfResult::permerror)) return r.fail(SpfWireError::bad_value);
  o.result = static_cast<SpfResult>(result);
  return r.str(o.identity, false) && r.str(o.domain, false) && r.str(o.reason, false);
}

}  // namespace

const char* to_string(SpfWireError e) {
  switch (e) {
    case SpfWireError::truncated: return "truncated frame";
    case SpfWireError::oversize: return "frame too large";
    case SpfWireError::empty: return "empty frame";
    case SpfWireError::bad_type: return "unknown message type";
    case SpfWireError::bad_value: return "field out of range";
    case SpfWireError::trailing_bytes: return "trailing bytes after the message";
  }
  return "?";
}

core::Expected<std::string, SpfWireError> encode_spf_frame(const SpfMessage& message) {
  Writer w;
  w.u32(0);  // the length, filled in below
  std::visit(
      [&w](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, SpfCheckRequest>) {
          w.u8(static_cast<uint8_t>(Tag::check));
          w.str(m.client_ip);
          w.str(m.helo);
          w.str(m.mail_from);
          w.str(m.rec_dom);
        } else if constexpr (std::is_same_v<T, SpfDnsQuery>) {
          w.u8(static_cast<uint8_t>(Tag::dns_query));
          w.str(m.name);
          w.u16(static_cast<uint16_t>(m.type));
        } else if constexpr (std::is_same_v<T, SpfDnsReply>) {
          w.u8(static_cast<uint8_t>(Tag::dns_reply));
          w.u8(static_cast<uint8_t>(m.status));
          w.u32(m.ttl);
          if (m.records.size() > 0xffff) {
            w.str(std::string(0x10000, ' '));  // marks it too long
            return;
          }
          w.u16(static_cast<uint16_t>(m.records.size()));
          for (const auto& rec : m.records) w.str(rec);
        } else {
          w.u8(static_cast<uint8_t>(Tag::verdict));
          write_outcome(w, m.mail_from);
          write_outcome(w, m.helo);
        }
      },
      message);
  if (w.too_long() || w.bytes().size() - kSpfFrameHeader > kSpfMaxFrame) {
    return core::unexpected(SpfWireError::oversize);
  }
  std::string& out = w.bytes();
  const auto n = static_cast<uint32_t>(out.size() - kSpfFrameHeader);
  out[0] = static_cast<char>(n >> 24);
  out[1] = static_cast<char>(n >> 16);
  out[2] = static_cast<char>(n >> 8);
  out[3] = static_cast<char>(n);
  return std::move(out);
}

core::Expected<size_t, SpfWireError> parse_spf_frame_header(std::string_view header) {
  if (header.size() < kSpfFrameHeader) return core::unexpected(SpfWireError::truncated);
  uint32_t n = 0;
  for (size_t i = 0; i < kSpfFrameHeader; ++i) n = (n << 8) | static_cast<uint8_t>(header[i]);
  if (n == 0) return core::unexpected(SpfWireError::empty);
  if (n > kSpfMaxFrame) return core::unexpected(SpfWireError::oversize);
  return static_cast<size_t>(n);
}

core::Expected<SpfMessage, SpfWireError> decode_spf_payload(std::string_view payload) {
  if (payload.empty()) return core::unexpected(SpfWireError::empty);
  if (payload.size() > kSpfMaxFrame) return core::unexpected(SpfWireError::oversize);
  Reader r(payload);
  uint8_t tag = 0;
  r.u8(tag);
  SpfMessage out;
  bool ok = false;
  switch (static_cast<Tag>(tag)) {
    case Tag::check: {
      SpfCheckRequest m;
      ok = r.str(m.client_ip, true) && r.str(m.helo, true) && r.str(m.mail_from, true) &&
           r.str(m.rec_dom, true);
      out = std::move(m);
      break;
    }
    case Tag::dns_query: {
      SpfDnsQuery m;
      uint16_t type = 0;
      ok = r.str(m.name, true) && r.u16(type);
      m.type = static_cast<dns::RecordType>(type);
      if (ok && !valid_query_type(m.type)) ok = r.fail(SpfWireError::bad_value);
      out = std::move(m);
      break;
    }
    case Tag::dns_reply: {
      SpfDnsReply m;
      uint8_t status = 0;
      uint16_t count = 0;
      ok = r.u8(status) && r.u32(m.ttl) && r.u16(count);
      if (ok && status > static_cast<uint8_t>(SpfDnsStatus::temperror)) ok = r.fail(SpfWireError::bad_value);
      m.status = static_cast<SpfDnsStatus>(status);
      // Each record takes at least its 2-octet length, so `count` is bounded by the payload.
      for (uint16_t i = 0; ok && i < count; ++i) {
        std::string rec;
        ok = r.str(rec, false);
        if (ok) m.records.push_back(std::move(rec));
      }
      out = std::move(m);
      break;
    }
    case Tag::verdict: {
      SpfVerdict m;
      ok = read_outcome(r, m.mail_from) && read_outcome(r, m.helo);
      out = std::move(m);
      break;
    }
    default:
      return core::unexpected(SpfWireError::bad_type);
  }
  if (!ok) return core::unexpected(r.error());
  if (!r.at_end()) return core::unexpected(SpfWireError::trailing_bytes);
  return out;
}

core::Expected<SpfMessage, SpfWireError> decode_spf_frame(std::string_view frame) {
  auto n = parse_spf_frame_header(frame);
  if (!n) return core::unexpected(n.error());
  const std::string_view payload = frame.substr(kSpfFrameHeader);
  if (payload.size() < *n) return core::unexpected(SpfWireError::truncated);
  if (payload.size() > *n) return core::unexpected(SpfWireError::trailing_bytes);
  return decode_spf_payload(payload);
}

SpfDnsReply to_spf_dns_reply(const dns::DnsAnswer& answer) {
  SpfDnsReply out;
  out.ttl = answer.ttl;
  switch (answer.status) {
    case dns::DnsStatus::ok: out.status = SpfDnsStatus::ok; break;
    case dns::DnsStatus::nxdomain: out.status = SpfDnsStatus::nxdomain; break;
    case dns::DnsStatus::nodata: out.status = SpfDnsStatus::nodata; break;
    case dns::DnsStatus::servfail:
    case dns::DnsStatus::timeout: out.status = SpfDnsStatus::temperror; break;
  }
  if (out.status != SpfDnsStatus::ok) return out;
  switch (answer.type) {
    case dns::RecordType::a:
    case dns::RecordType::aaaa:
      for (const auto& a : answer.addresses) out.records.push_back(a.to_string());
      break;
    case dns::RecordType::txt: out.records = answer.texts; break;
    case dns::RecordType::mx:
      for (const auto& m : answer.mx) out.records.push_back(std::to_string(m.preference) + " " + m.exchange);
      break;
    default: out.records = answer.names; break;
  }
  if (out.records.empty()) out.status = SpfDnsStatus::nodata;
  return out;
}

}  // namespace hikyaku::auth
