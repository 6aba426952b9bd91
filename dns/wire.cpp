// DNS wire format reading: RFC 1035 §4.1.1-4.1.4 (header, question, RRs, compression), §3.3
// RDATA of CNAME/MX/NS/PTR/SOA/TXT, §3.4.1 A, RFC 3596 §2.2 AAAA, RFC 2181 §8 (TTL top bit),
// RFC 2308 §5 (negative TTL from the SOA).
#include "dns/wire.hpp"

#include <algorithm>
#include <set>

#include "dns/names.hpp"

namespace hikyaku::dns {

namespace {

constexpr uint16_t kClassIn = 1;
constexpr size_t kMaxChain = 16;  // CNAMEs followed before giving up (unbound allows ~11)

uint16_t get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
uint32_t get32(std::span<const uint8_t> b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}

bool read_record(std::span<const uint8_t> msg, size_t& offset, WireRecord& out) {
  auto owner = read_name(msg, offset);
  if (!owner || offset + 10 > msg.size()) return false;
  out.owner = std::move(*owner);
  out.type = get16(msg, offset);
  out.klass = get16(msg, offset + 2);
  out.ttl = get32(msg, offset + 4);
  if (out.ttl > 0x7fffffffu) out.ttl = 0;  // RFC 2181 §8: treat as zero
  out.rdata_length = get16(msg, offset + 8);
  out.rdata_offset = offset + 10;
  if (out.rdata_offset + out.rdata_length > msg.size()) return false;
  offset = out.rdata_offset + out.rdata_length;
  return true;
}

// A name inside RDATA must end exactly where the RDATA ends (or before `end` when more follows).
std::optional<std::string> rdata_name(std::span<const uint8_t> msg, size_t& offset, size_t end) {
  auto name = read_name(msg, offset);
  if (!name || offset > end) return std::nullopt;
  return name;
}

}  // namespace

std::optional<std::string> read_name(std::span<const uint8_t> msg, size_t& offset) {
  Labels labels;
  size_t pos = offset;
  size_t end = 0;
  bool jumped = false;
  size_t wire = 1;
  for (int hops = 0; hops < 256; ++hops) {
    if (pos >= msg.size()) return std::nullopt;
    const uint8_t len = msg[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= msg.size()) return std::nullopt;
      const size_t target = (size_t{len & 0x3Fu} << 8) | msg[pos + 1];
      if (target >= pos) return std::nullopt;  // forward or self pointers could loop
      if (!jumped) end = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if (len & 0xC0) return std::nullopt;  // 0x40 / 0x80 label types are not in use
    if (len == 0) {
      if (!jumped) end = pos + 1;
      offset = end;
      return labels_to_name(labels);
    }
    if (pos + 1 + len > msg.size()) return std::nullopt;
    wire += 1 + size_t{len};
    if (wire > kMaxNameLength) return std::nullopt;
    labels.emplace_back(reinterpret_cast<const char*>(msg.data() + pos + 1), len);
    pos += 1 + size_t{len};
  }
  return std::nullopt;
}

std::optional<WireMessage> parse_message(std::span<const uint8_t> bytes) {
  if (bytes.size() < 12) return std::nullopt;
  WireMessage m;
  m.bytes = bytes;
  m.id = get16(bytes, 0);
  m.flags = get16(bytes, 2);
  m.rcode = m.flags & 0x0f;
  const uint16_t qd = get16(bytes, 4);
  const uint16_t an = get16(bytes, 6);
  const uint16_t ns = get16(bytes, 8);
  if (qd > 1) return std::nullopt;
  size_t offset = 12;
  if (qd == 1) {
    auto q = read_name(bytes, offset);
    if (!q || offset + 4 > bytes.size()) return std::nullopt;
    m.question_name = std::move(*q);
    m.question_type = get16(bytes, offset);
    offset += 4;
  }
  for (uint16_t i = 0; i < an + ns; ++i) {
    WireRecord rr;
    if (!read_record(bytes, offset, rr)) return std::nullopt;
    (i < an ? m.answer : m.authority).push_back(std::move(rr));
  }
  return m;
}

bool append_rdata(DnsAnswer& answer, RecordType type, std::span<const uint8_t> msg,
                  size_t offset, size_t length) {
  if (offset + length > msg.size()) return false;
  const size_t end = offset + length;
  switch (type) {
    case RecordType::a: {
      if (length != 4) return false;
      asio::ip::address_v4::bytes_type b;
      std::copy_n(msg.data() + offset, 4, b.begin());
      answer.addresses.emplace_back(asio::ip::address_v4(b));
      return true;
    }
    case RecordType::aaaa: {
      if (length != 16) return false;
      asio::ip::address_v6::bytes_type b;
      std::copy_n(msg.data() + offset, 16, b.begin());
      answer.addresses.emplace_back(asio::ip::address_v6(b));
      return true;
    }
    case RecordType::mx: {
      if (length < 3) return false;
      size_t at = offset + 2;
      auto exchange = rdata_name(msg, at, end);
      if (!exchange || at != end) return false;
      answer.mx.push_back({get16(msg, offset), std::move(*exchange)});
      return true;
    }
    case RecordType::txt: {
      if (length == 0) return false;  // at least one character-string (RFC 1035 §3.3.14)
      std::string joined;
      size_t at = offset;
      while (at < end) {
        const size_t n = msg[at];
        if (at + 1 + n > end) return false;
        joined.append(reinterpret_cast<const char*>(msg.data() + at + 1), n);
        at += 1 + n;
      }
      answer.texts.push_back(std::move(joined));
      return true;
    }
    case RecordType::ptr:
    case RecordType::cname:
    case RecordType::ns: {
      size_t at = offset;
      auto target = rdata_name(msg, at, end);
      if (!target || at != end) return false;
      answer.names.push_back(std::move(*target));
      return true;
    }
    case RecordType::tlsa: {
      // RFC 6698 §2.1: usage, selector and matching type octets, then the association data.
      if (length < 4) return false;
      TlsaRecord rr{msg[offset], msg[offset + 1], msg[offset + 2],
                    std::string(reinterpret_cast<const char*>(msg.data() + offset + 3), length - 3)};
      answer.tlsa.push_back(std::move(rr));
      return true;
    }
    case RecordType::soa:
      return decode_soa(msg, offset, length).has_value();  // checked, not kept (status and TTL only)
  }
  return false;
}

std::optional<SoaFields> decode_soa(std::span<const uint8_t> msg, size_t offset, size_t length) {
  if (offset + length > msg.size()) return std::nullopt;
  const size_t end = offset + length;
  SoaFields soa;
  size_t at = offset;
  auto mname = rdata_name(msg, at, end);
  if (!mname) return std::nullopt;
  auto rname = rdata_name(msg, at, end);
  if (!rname || at + 20 != end) return std::nullopt;
  soa.mname = std::move(*mname);
  soa.rname = std::move(*rname);
  soa.serial = get32(msg, at);
  soa.refresh = get32(msg, at + 4);
  soa.retry = get32(msg, at + 8);
  soa.expire = get32(msg, at + 12);
  soa.minimum = get32(msg, at + 16);
  return soa;
}

DnsAnswer answer_from_message(const WireMessage& reply, const std::string& name, RecordType type) {
  const auto qtype = static_cast<uint16_t>(type);
  // The RCODE first: a SERVFAIL or REFUSED reply often carries no question section at all
  // (RFC 1035 §4.1.1), and "for another question" would misname the failure.
  if (reply.rcode != 0 && reply.rcode != 3) {
    static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                             "NOTIMP", "REFUSED"};
    std::string rc = reply.rcode < 6 ? kNames[reply.rcode] : "RCODE " + std::to_string(reply.rcode);
    return DnsAnswer::failure(name, type, DnsStatus::servfail, "server replied " + rc);
  }
  if (reply.question_name != name || reply.question_type != qtype) {
    return DnsAnswer::failure(name, type, DnsStatus::servfail, "reply is for another question");
  }

  DnsAnswer out = DnsAnswer::failure(name, type, DnsStatus::nodata);
  uint32_t ttl = UINT32_MAX;
  std::string current = name;
  std::set<std::string> visited{name};
  std::vector<const WireRecord*> rrset;
  for (size_t hop = 0;; ++hop) {
    const WireRecord* cname = nullptr;
    for (const auto& rr : reply.answer) {
      if (rr.owner != current || rr.klass != kClassIn) continue;
      if (rr.type == qtype) rrset.push_back(&rr);
      if (rr.type == static_cast<uint16_t>(RecordType::cname) && !cname) cname = &rr;
    }
    if (!rrset.empty() || !cname || type == RecordType::cname) break;
    DnsAnswer target;
    if (!append_rdata(target, RecordType::cname, reply.bytes, cname->rdata_offset,
                      cname->rdata_length)) {
      return DnsAnswer::failure(name, type, DnsStatus::servfail, "malformed CNAME RDATA");
    }
    current = target.names.front();
    ttl = std::min(ttl, cname->ttl);
    out.cname_chain.push_back(current);
    if (!visited.insert(current).second) {
      return DnsAnswer::failure(name, type, DnsStatus::servfail, "CNAME loop at " + current);
    }
    if (hop + 1 >= kMaxChain) {
      return DnsAnswer::failure(name, type, DnsStatus::servfail, "CNAME chain too long");
    }
  }
  out.canonical_name = current;

  if (reply.rcode == 0 && !rrset.empty()) {
    for (const WireRecord* rr : rrset) {
      if (!append_rdata(out, type, reply.bytes, rr->rdata_offset, rr->rdata_length)) {
        return DnsAnswer::failure(name, type, DnsStatus::servfail,
                                  "malformed " + std::string(to_string(type)) + " RDATA");
      }
      ttl = std::min(ttl, rr->ttl);
    }
    out.status = DnsStatus::ok;
    out.ttl = ttl;
    return out;
  }

  out.status = reply.rcode == 3 ? DnsStatus::nxdomain : DnsStatus::nodata;
  out.ttl = 0;
  for (const auto& rr : reply.authority) {
    if (rr.type != static_cast<uint16_t>(RecordType::soa)) continue;
    if (auto soa = decode_soa(reply.bytes, rr.rdata_offset, rr.rdata_length)) {
      out.ttl = std::min(rr.ttl, soa->minimum);
    }
    break;
  }
  return out;
}

}  // namespace hikyaku::dns
