// Unit tests for dns/wire: RFC 1035 §4.1 message reading with §4.1.4 compression (and the
// malformed pointers an attacker can send), RDATA decoding, and the answer a reply yields:
// CNAME chains, RCODEs, negative TTL from the SOA (RFC 2308 §5), RFC 2181 §8 TTLs.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dns/wire.hpp"
#include "test_support.hpp"

namespace hikyaku::dns {
namespace {

using test::sorted_strings;

// Builds wire-format messages byte by byte.
class Packet {
 public:
  explicit Packet(uint16_t rcode = 0, uint16_t qd = 1, uint16_t an = 0, uint16_t ns = 0) {
    u16(0x1234);
    u16(static_cast<uint16_t>(0x8180 | rcode));
    u16(qd);
    u16(an);
    u16(ns);
    u16(0);
  }
  Packet& u8(uint8_t v) { b.push_back(v); return *this; }
  Packet& u16(uint16_t v) { u8(static_cast<uint8_t>(v >> 8)); return u8(static_cast<uint8_t>(v)); }
  Packet& u32(uint32_t v) { u16(static_cast<uint16_t>(v >> 16)); return u16(static_cast<uint16_t>(v)); }
  size_t mark() const { return b.size(); }
  // Labels of a dotted name, then the root octet unless `pointer_to` is given.
  Packet& name(std::string_view dotted, int pointer_to = -1) {
    size_t start = 0;
    while (start < dotted.size()) {
      size_t dot = dotted.find('.', start);
      if (dot == std::string_view::npos) dot = dotted.size();
      u8(static_cast<uint8_t>(dot - start));
      for (size_t i = start; i < dot; ++i) u8(static_cast<uint8_t>(dotted[i]));
      start = dot + 1;
    }
    if (pointer_to >= 0) {
      u16(static_cast<uint16_t>(0xC000 | pointer_to));
    } else {
      u8(0);
    }
    return *this;
  }
  Packet& question(std::string_view qname, RecordType t) {
    name(qname);
    return u16(static_cast<uint16_t>(t)).u16(1);
  }
  // An RR header with a placeholder RDLENGTH; end_rr() fills it in.
  Packet& rr(std::string_view owner, uint16_t type, uint32_t ttl, int owner_pointer = -1, uint16_t klass = 1) {
    if (owner_pointer >= 0 && owner.empty()) {
      u16(static_cast<uint16_t>(0xC000 | owner_pointer));
    } else {
      name(owner, owner_pointer);
    }
    u16(type).u16(klass).u32(ttl);
    rdlength_at_ = b.size();
    return u16(0);
  }
  Packet& end_rr() {
    const size_t len = b.size() - rdlength_at_ - 2;
    b[rdlength_at_] = static_cast<uint8_t>(len >> 8);
    b[rdlength_at_ + 1] = static_cast<uint8_t>(len);
    return *this;
  }
  std::vector<uint8_t> b;

 private:
  size_t rdlength_at_ = 0;
};

constexpr uint16_t kA = 1, kCname = 5, kSoa = 6, kMx = 15, kTxt = 16;

DnsAnswer answer_of(const Packet& p, const std::string& name, RecordType type) {
  auto m = parse_message(p.b);
  if (!m) return DnsAnswer::failure(name, type, DnsStatus::servfail, "test: unparsable");
  return answer_from_message(*m, name, type);
}

TEST(WireNames, PlainAndCompressed) {
  Packet p(0, 0);
  const size_t base = p.mark();
  p.name("Mail.Example.TEST");
  const size_t ptr = p.mark();
  p.name("www", static_cast<int>(base) + 5);  // -> "example.test"
  size_t off = base;
  EXPECT_EQ(read_name(p.b, off), "mail.example.test");
  EXPECT_EQ(off, ptr);
  off = ptr;
  EXPECT_EQ(read_name(p.b, off), "www.example.test");
  EXPECT_EQ(off, p.b.size());  // moved past the pointer, not past the target
}

TEST(WireNames, MalformedNamesAreRefused) {
  {
    Packet p(0, 0);
    const size_t at = p.b.size();
    p.u16(static_cast<uint16_t>(0xC000 | at));  // points at itself
    size_t off = at;
    EXPECT_FALSE(read_name(p.b, off));
  }
  {
    Packet p(0, 0);
    const size_t at = p.b.size();
    p.u16(static_cast<uint16_t>(0xC000 | (at + 2))).name("x");  // forward pointer
    size_t off = at;
    EXPECT_FALSE(read_name(p.b, off));
  }
  {
    Packet p(0, 0);  // a label then a pointer back to that label: a loop that grows the name
    const size_t at = p.b.size();
    p.u8(1).u8('a').u16(static_cast<uint16_t>(0xC000 | at));
    size_t off = at;
    EXPECT_FALSE(read_name(p.b, off));
  }
  {
    Packet p(0, 0);
    const size_t at = p.b.size();
    p.u8(5).u8('a');  // truncated label
    size_t off = at;
    EXPECT_FALSE(read_name(p.b, off));
  }
  {
    Packet p(0, 0);
    const size_t at = p.b.size();
    p.u8(0x41).u8('a').u8(0);  // 0x40 label type
    size_t off = at;
    EXPECT_FALSE(read_name(p.b, off));
  }
}

TEST(WireNames, NameLengthLimit) {
  const std::string l63(63, 'a');
  Packet fits(0, 0);
  fits.name(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b'));  // 255 octets
  size_t off = 12;
  EXPECT_TRUE(read_name(fits.b, off));
  Packet over(0, 0);
  over.name(l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b'));  // 256
  off = 12;
  EXPECT_FALSE(read_name(over.b, off));
}

TEST(WireNames, OddOctetsAreEscaped) {
  Packet p(0, 0);
  p.u8(3).u8('a').u8('.').u8(' ').u8(0);
  size_t off = 12;
  EXPECT_EQ(read_name(p.b, off), "a\\.\\032");
}

TEST(WireMessage, TruncatedOrOverlongIsRefused) {
  EXPECT_FALSE(parse_message(std::vector<uint8_t>(11, 0)));
  Packet two_questions(0, 2);
  two_questions.question("a.test", RecordType::a).question("b.test", RecordType::a);
  EXPECT_FALSE(parse_message(two_questions.b));
  Packet p(0, 1, 1);
  p.question("a.test", RecordType::a).rr("a.test", kA, 60).u8(192).u8(0).u8(2).u8(1).end_rr();
  p.b.pop_back();  // RDATA now runs past the end
  EXPECT_FALSE(parse_message(p.b));
}

TEST(WireAnswer, MxWithCompressedExchanges) {
  Packet p(0, 1, 2);
  p.question("example.test", RecordType::mx);
  p.rr("", kMx, 3600, 12).u16(10).name("mx1", 12).end_rr();
  p.rr("", kMx, 1800, 12).u16(20).name("mx2", 12).end_rr();
  const auto a = answer_of(p, "example.test", RecordType::mx);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"10 mx1.example.test", "20 mx2.example.test"}));
  EXPECT_EQ(a.ttl, 1800u);
}

TEST(WireAnswer, CnameChainThenAddress) {
  Packet p(0, 1, 3);
  p.question("alias.example.test", RecordType::a);
  p.rr("alias.example.test", kCname, 3600).name("www.example.test").end_rr();
  p.rr("www.example.test", kCname, 120).name("host.example.test").end_rr();
  p.rr("host.example.test", kA, 600).u8(192).u8(0).u8(2).u8(10).end_rr();
  const auto a = answer_of(p, "alias.example.test", RecordType::a);
  ASSERT_EQ(a.status, DnsStatus::ok) << describe(a);
  EXPECT_EQ(a.cname_chain, (std::vector<std::string>{"www.example.test", "host.example.test"}));
  EXPECT_EQ(a.canonical_name, "host.example.test");
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"192.0.2.10"}));
  EXPECT_EQ(a.ttl, 120u);
}

TEST(WireAnswer, CnameLoopInAReplyIsServfail) {
  Packet p(0, 1, 2);
  p.question("a.test", RecordType::a);
  p.rr("a.test", kCname, 60).name("b.test").end_rr();
  p.rr("b.test", kCname, 60).name("a.test").end_rr();
  const auto a = answer_of(p, "a.test", RecordType::a);
  EXPECT_EQ(a.status, DnsStatus::servfail);
  EXPECT_NE(a.detail.find("loop"), std::string::npos);
}

TEST(WireAnswer, NxdomainTakesTheSoaNegativeTtl) {
  Packet p(3, 1, 0, 1);
  p.question("nope.example.test", RecordType::a);
  p.rr("example.test", kSoa, 900).name("ns1.example.test").name("h.example.test");
  p.u32(1).u32(7200).u32(900).u32(1209600).u32(300).end_rr();
  const auto a = answer_of(p, "nope.example.test", RecordType::a);
  EXPECT_EQ(a.status, DnsStatus::nxdomain);
  EXPECT_EQ(a.ttl, 300u);  // min(900, 300)
}

TEST(WireAnswer, NodataWithoutSoaHasNoTtl) {
  Packet p(0, 1);
  p.question("onlya.example.test", RecordType::aaaa);
  const auto a = answer_of(p, "onlya.example.test", RecordType::aaaa);
  EXPECT_EQ(a.status, DnsStatus::nodata);
  EXPECT_EQ(a.ttl, 0u);
}

TEST(WireAnswer, ErrorRcodesAreServfail) {
  for (uint16_t rcode : {1, 2, 4, 5, 9}) {
    Packet p(rcode, 1);
    p.question("x.test", RecordType::a);
    const auto a = answer_of(p, "x.test", RecordType::a);
    EXPECT_EQ(a.status, DnsStatus::servfail) << rcode;
    EXPECT_TRUE(a.temporary_failure());
  }
  Packet refused(5, 1);
  refused.question("x.test", RecordType::a);
  EXPECT_NE(answer_of(refused, "x.test", RecordType::a).detail.find("REFUSED"), std::string::npos);
}

TEST(WireAnswer, ErrorRcodeWithoutAQuestionIsNamedByItsRcode) {
  // Servers and resolvers often answer SERVFAIL/REFUSED with an empty question section.
  for (const auto& [rcode, word] : {std::pair{2, "SERVFAIL"}, std::pair{5, "REFUSED"}}) {
    Packet p(static_cast<uint16_t>(rcode), 0);
    const auto a = answer_of(p, "x.test", RecordType::mx);
    EXPECT_EQ(a.status, DnsStatus::servfail);
    EXPECT_EQ(a.detail, std::string("server replied ") + word);
  }
}

TEST(WireAnswer, ReplyToAnotherQuestionIsServfail) {
  Packet p(0, 1, 1);
  p.question("other.test", RecordType::a).rr("other.test", kA, 60).u8(192).u8(0).u8(2).u8(1).end_rr();
  EXPECT_EQ(answer_of(p, "x.test", RecordType::a).status, DnsStatus::servfail);
  EXPECT_EQ(answer_of(p, "other.test", RecordType::aaaa).status, DnsStatus::servfail);
}

TEST(WireAnswer, MalformedRdataIsServfail) {
  Packet p(0, 1, 1);
  p.question("x.test", RecordType::a).rr("x.test", kA, 60).u8(192).u8(0).u8(2).end_rr();  // 3 octets
  EXPECT_EQ(answer_of(p, "x.test", RecordType::a).status, DnsStatus::servfail);
  Packet mx(0, 1, 1);
  mx.question("x.test", RecordType::mx).rr("x.test", kMx, 60).u16(10).name("mx.test").u8(0).end_rr();
  EXPECT_EQ(answer_of(mx, "x.test", RecordType::mx).status, DnsStatus::servfail);  // trailing octet
}

TEST(WireAnswer, TxtStringsAreJoinedPerRecord) {
  Packet p(0, 1, 2);
  p.question("t.test", RecordType::txt);
  p.rr("t.test", kTxt, 60).u8(3).u8('a').u8('b').u8('c').u8(0).u8(2).u8('d').u8('e').end_rr();
  p.rr("t.test", kTxt, 60).u8(1).u8('z').end_rr();
  const auto a = answer_of(p, "t.test", RecordType::txt);
  ASSERT_EQ(a.status, DnsStatus::ok);
  EXPECT_EQ(a.texts, (std::vector<std::string>{"abcde", "z"}));

  Packet bad(0, 1, 1);
  bad.question("t.test", RecordType::txt).rr("t.test", kTxt, 60).u8(5).u8('a').end_rr();
  EXPECT_EQ(answer_of(bad, "t.test", RecordType::txt).status, DnsStatus::servfail);
  Packet empty(0, 1, 1);
  empty.question("t.test", RecordType::txt).rr("t.test", kTxt, 60).end_rr();
  EXPECT_EQ(answer_of(empty, "t.test", RecordType::txt).status, DnsStatus::servfail);
}

TEST(WireAnswer, TtlWithTopBitIsZeroAndOtherClassesIgnored) {
  Packet p(0, 1, 2);
  p.question("x.test", RecordType::a);
  p.rr("x.test", kA, 0x80000000u).u8(192).u8(0).u8(2).u8(1).end_rr();
  p.rr("x.test", kA, 60, -1, /*klass=*/3).u8(192).u8(0).u8(2).u8(2).end_rr();  // CH
  const auto a = answer_of(p, "x.test", RecordType::a);
  ASSERT_EQ(a.status, DnsStatus::ok);
  EXPECT_EQ(sorted_strings(a), (std::vector<std::string>{"192.0.2.1"}));
  EXPECT_EQ(a.ttl, 0u);  // RFC 2181 §8
}

TEST(WireRdata, LoneRdataWithUncompressedNames) {
  // What libunbound's ub_result::data[] holds: RDATA alone.
  Packet p(0, 0);
  p.b.clear();
  p.u16(5).name("mx.example.test");
  DnsAnswer a;
  ASSERT_TRUE(append_rdata(a, RecordType::mx, p.b, 0, p.b.size()));
  EXPECT_EQ(a.mx, (std::vector<MxRecord>{{5, "mx.example.test"}}));
  EXPECT_FALSE(append_rdata(a, RecordType::mx, p.b, 0, p.b.size() + 1));
  EXPECT_FALSE(append_rdata(a, RecordType::aaaa, p.b, 0, 15));
}

}  // namespace
}  // namespace hikyaku::dns

namespace hikyaku::dns {
namespace {

TEST(WireAnswer, TlsaFieldsAndDataAreKept) {
  constexpr uint16_t kTlsa = 52;
  Packet p(0, 1, 1);
  p.question("_25._tcp.mx.test", RecordType::tlsa);
  p.rr("_25._tcp.mx.test", kTlsa, 60).u8(3).u8(1).u8(1).u8(0xab).u8(0xcd).end_rr();
  const auto a = answer_of(p, "_25._tcp.mx.test", RecordType::tlsa);
  ASSERT_EQ(a.status, DnsStatus::ok);
  ASSERT_EQ(a.tlsa.size(), 1u);
  EXPECT_EQ(a.tlsa[0], (TlsaRecord{3, 1, 1, "\xab\xcd"}));
  EXPECT_FALSE(a.secure);  // only libunbound's validation sets it
  EXPECT_NE(describe(a).find("3 1 1 abcd"), std::string::npos) << describe(a);

  Packet short_rdata(0, 1, 1);  // usage, selector, matching type and no data
  short_rdata.question("_25._tcp.mx.test", RecordType::tlsa);
  short_rdata.rr("_25._tcp.mx.test", kTlsa, 60).u8(3).u8(1).u8(1).end_rr();
  EXPECT_EQ(answer_of(short_rdata, "_25._tcp.mx.test", RecordType::tlsa).status, DnsStatus::servfail);
}

}  // namespace
}  // namespace hikyaku::dns
