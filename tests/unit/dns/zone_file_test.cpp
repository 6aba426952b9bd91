// Unit tests for dns/zone_file and dns/zone_lexer: every RFC 1035 §5.1 master-file feature the
// reader supports ($ORIGIN, $TTL, '@', relative names, omitted fields, parentheses, quoted
// strings, escapes, comments), and each error with its FILE:LINE.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/zone_file.hpp"

namespace hikyaku::dns {
namespace {

std::vector<ZoneRecord> parse_ok(std::string_view text, const ZoneFileOptions& options = {}) {
  auto r = parse_zone(text, "t.zone", options);
  if (!r) {
    for (const auto& e : r.error()) ADD_FAILURE() << e.text();
    return {};
  }
  return std::move(*r);
}

// The errors' texts, "FILE:LINE: message".
std::vector<std::string> parse_errors(std::string_view text) {
  auto r = parse_zone(text, "t.zone");
  std::vector<std::string> out;
  if (r) {
    ADD_FAILURE() << "parsed without error: " << text;
    return out;
  }
  for (const auto& e : r.error()) out.push_back(e.text());
  return out;
}

// True when the only error is on `line` and its message contains `needle`.
::testing::AssertionResult one_error(std::string_view text, int line, std::string_view needle) {
  const auto errors = parse_errors(text);
  if (errors.size() != 1) {
    auto r = ::testing::AssertionFailure() << errors.size() << " errors:";
    for (const auto& e : errors) r << "\n  " << e;
    return r;
  }
  const std::string prefix = "t.zone:" + std::to_string(line) + ": ";
  if (errors[0].rfind(prefix, 0) != 0 || errors[0].find(needle) == std::string::npos) {
    return ::testing::AssertionFailure() << "got \"" << errors[0] << "\", want line " << line
                                         << " and \"" << needle << "\"";
  }
  return ::testing::AssertionSuccess();
}

TEST(ZoneFileParse, OriginTtlAtAndRelativeNames) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n"
      "$TTL 3600\n"
      "@ IN A 192.0.2.1\n"
      "www IN A 192.0.2.2\n"
      "abs.other.test. IN A 192.0.2.3\n"
      "$ORIGIN sub\n"  // relative: appended to the current origin
      "x IN A 192.0.2.4\n");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].owner, "example.test");
  EXPECT_EQ(recs[1].owner, "www.example.test");
  EXPECT_EQ(recs[2].owner, "abs.other.test");
  EXPECT_EQ(recs[3].owner, "x.sub.example.test");
  for (const auto& r : recs) EXPECT_EQ(r.ttl, 3600u);
  EXPECT_EQ(std::get<asio::ip::address>(recs[3].data).to_string(), "192.0.2.4");
  EXPECT_EQ(recs[3].line, 7);
  EXPECT_EQ(recs[3].file, "t.zone");
}

TEST(ZoneFileParse, DefaultOriginFromOptions) {
  ZoneFileOptions options;
  options.origin = "Example.Test.";
  const auto recs = parse_ok("$TTL 60\n@ A 192.0.2.1\nmx MX 5 @\n", options);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].owner, "example.test");
  EXPECT_EQ(std::get<MxRecord>(recs[1].data), (MxRecord{5, "example.test"}));
}

TEST(ZoneFileParse, TtlAndClassInEitherOrder) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n"
      "a 300 IN A 192.0.2.1\n"
      "b IN 301 A 192.0.2.2\n"
      "c 302 A 192.0.2.3\n"
      "d in a 192.0.2.4\n");  // mnemonics are case-insensitive; TTL from the last explicit one
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].ttl, 300u);
  EXPECT_EQ(recs[1].ttl, 301u);
  EXPECT_EQ(recs[2].ttl, 302u);
  EXPECT_EQ(recs[3].ttl, 302u);  // RFC 1035 §5.1: the last explicitly stated value
}

TEST(ZoneFileParse, DollarTtlBeatsLastExplicitTtl) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n$TTL 1h\na 10 A 192.0.2.1\nb A 192.0.2.2\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].ttl, 10u);
  EXPECT_EQ(recs[1].ttl, 3600u);  // RFC 2308 §4
}

TEST(ZoneFileParse, TtlUnits) {
  EXPECT_EQ(parse_ttl("300"), 300u);
  EXPECT_EQ(parse_ttl("1h"), 3600u);
  EXPECT_EQ(parse_ttl("1H30m"), 5400u);
  EXPECT_EQ(parse_ttl("2w1d"), 2u * 604800 + 86400);
  EXPECT_EQ(parse_ttl("1m5"), 65u);
  EXPECT_EQ(parse_ttl("2147483647"), 2147483647u);
  EXPECT_FALSE(parse_ttl("2147483648"));  // RFC 2181 §8
  EXPECT_FALSE(parse_ttl("h"));
  EXPECT_FALSE(parse_ttl("1x"));
  EXPECT_FALSE(parse_ttl(""));
  EXPECT_FALSE(parse_ttl("-1"));
}

TEST(ZoneFileParse, OmittedOwnerRepeatsThePreviousOne) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n$TTL 60\n"
      "host A 192.0.2.1\n"
      "     AAAA 2001:db8::1\n"
      "\t  MX 10 mx\n");
  ASSERT_EQ(recs.size(), 3u);
  for (const auto& r : recs) EXPECT_EQ(r.owner, "host.example.test");
  EXPECT_EQ(recs[1].type, RecordType::aaaa);
  EXPECT_EQ(std::get<asio::ip::address>(recs[1].data).to_string(), "2001:db8::1");
}

TEST(ZoneFileParse, ParenthesesSpanLinesWithComments) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n"
      "@ 3600 IN SOA ns1 hostmaster ( ; start\n"
      "   2026112201 ; serial\n"
      "   2h 15m     ; refresh, retry\n"
      "   2w\n"
      "   300 )      ; minimum\n"
      "after 60 A 192.0.2.1\n");
  ASSERT_EQ(recs.size(), 2u);
  const auto& soa = std::get<SoaRecord>(recs[0].data);
  EXPECT_EQ(soa.mname, "ns1.example.test");
  EXPECT_EQ(soa.rname, "hostmaster.example.test");
  EXPECT_EQ(soa.serial, 2026112201u);
  EXPECT_EQ(soa.refresh, 7200u);
  EXPECT_EQ(soa.retry, 900u);
  EXPECT_EQ(soa.expire, 1209600u);
  EXPECT_EQ(soa.minimum, 300u);
  EXPECT_EQ(recs[1].line, 7);
}

TEST(ZoneFileParse, QuotedTxtStringsWithEscapes) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n$TTL 60\n"
      "t TXT \"v=spf1 \" \"-all\"\n"
      "u TXT \"semi;colon (paren) \\\"q\\\" back\\\\slash \\065\\066\"\n"
      "v TXT unquoted\\ word\n"
      "w TXT \"\"\n");
  ASSERT_EQ(recs.size(), 4u);
  const auto& t = std::get<TxtRecord>(recs[0].data);
  EXPECT_EQ(t.strings, (std::vector<std::string>{"v=spf1 ", "-all"}));
  EXPECT_EQ(t.joined(), "v=spf1 -all");
  EXPECT_EQ(std::get<TxtRecord>(recs[1].data).joined(), "semi;colon (paren) \"q\" back\\slash AB");
  EXPECT_EQ(std::get<TxtRecord>(recs[2].data).joined(), "unquoted word");
  EXPECT_EQ(std::get<TxtRecord>(recs[3].data).strings, (std::vector<std::string>{""}));
}

TEST(ZoneFileParse, TxtStringOf255OctetsFits) {
  const auto recs = parse_ok("$ORIGIN x.test.\n$TTL 60\nt TXT \"" + std::string(255, 'a') + "\"\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(std::get<TxtRecord>(recs[0].data).joined().size(), 255u);
}

TEST(ZoneFileParse, AllSupportedTypes) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n$TTL 60\n"
      "@ NS ns1\n"
      "@ MX 0 .\n"
      "ptr PTR Target.Example.Test.\n"
      "alias CNAME www\n"
      "v6 AAAA 2001:DB8:0:0::A\n");
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(std::get<NameRecord>(recs[0].data).name, "ns1.example.test");
  EXPECT_EQ(std::get<MxRecord>(recs[1].data), (MxRecord{0, "."}));  // null MX (RFC 7505)
  EXPECT_EQ(std::get<NameRecord>(recs[2].data).name, "target.example.test");
  EXPECT_EQ(recs[3].type, RecordType::cname);
  EXPECT_EQ(std::get<NameRecord>(recs[3].data).name, "www.example.test");
  EXPECT_EQ(std::get<asio::ip::address>(recs[4].data).to_string(), "2001:db8::a");
}

TEST(ZoneFileParse, OtherTypesAreSkippedButRecorded) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n$TTL 60\n"
      "_sip._tcp SRV 10 5 5060 sip\n"
      "@ CAA 0 issue \"ca.example\"\n"
      "x TYPE65 \\# 0\n");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_TRUE(recs[0].is_other());
  EXPECT_EQ(std::get<OtherRecord>(recs[0].data).type, "SRV");
  EXPECT_EQ(std::get<OtherRecord>(recs[2].data).type, "TYPE65");
  EXPECT_EQ(recs[0].owner, "_sip._tcp.example.test");
}

TEST(ZoneFileParse, CrlfLineEndsAndBlankLines) {
  const auto recs = parse_ok("$ORIGIN example.test.\r\n\r\n$TTL 60\r\n; only a comment\r\na A 192.0.2.1\r\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].line, 5);
}

TEST(ZoneFileParse, TestdataFileLoads) {
  auto recs = load_zone_file(std::string(HIKYAKU_SOURCE_DIR) + "/tests/unit/dns/testdata/example.test.zone");
  ASSERT_TRUE(recs) << recs.error().front().text();
  EXPECT_EQ(recs->size(), 16u);
}

TEST(ZoneFileErrors, MissingFileIsOneErrorWithoutLine) {
  auto r = load_zone_file("/nonexistent/dir/x.zone");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].text().rfind("/nonexistent/dir/x.zone: cannot read", 0), 0u) << r.error()[0].text();
}

TEST(ZoneFileErrors, EachErrorNamesItsLine) {
  const std::string head = "$ORIGIN example.test.\n$TTL 60\n";  // lines 1-2
  EXPECT_TRUE(one_error(head + "a A 192.0.2.300\n", 3, "bad IPv4 address \"192.0.2.300\""));
  EXPECT_TRUE(one_error(head + "a AAAA 192.0.2.1\n", 3, "bad IPv6 address"));
  EXPECT_TRUE(one_error(head + "a AAAA fe80::1%eth0\n", 3, "bad IPv6 address"));
  EXPECT_TRUE(one_error(head + "a BOGUS 1\n", 3, "unknown record type BOGUS"));
  EXPECT_TRUE(one_error(head + "a CH TXT \"x\"\n", 3, "class CH is not supported"));
  EXPECT_TRUE(one_error(head + "a 1x A 192.0.2.1\n", 3, "bad TTL \"1x\""));
  EXPECT_TRUE(one_error(head + "a MX 10\n", 3, "MX takes a preference and a host name: missing field"));
  EXPECT_TRUE(one_error(head + "a MX 65536 mx\n", 3, "bad MX preference"));
  EXPECT_TRUE(one_error(head + "a A 192.0.2.1 192.0.2.2\n", 3, "unexpected \"192.0.2.2\""));
  EXPECT_TRUE(one_error(head + "a CNAME b c\n", 3, "CNAME takes one name"));
  EXPECT_TRUE(one_error(head + "a TXT\n", 3, "TXT needs at least one string"));
  EXPECT_TRUE(one_error(head + "a TXT \"" + std::string(256, 'x') + "\"\n", 3, "longer than 255"));
  EXPECT_TRUE(one_error(head + "a TXT \"bad \\2\"\n", 3, "bad escape"));
  EXPECT_TRUE(one_error(head + "a..b A 192.0.2.1\n", 3, "empty label"));
  EXPECT_TRUE(one_error(head + std::string(64, 'l') + " A 192.0.2.1\n", 3, "63 octets"));
  EXPECT_TRUE(one_error(head + "a\n", 3, "missing record type"));
  EXPECT_TRUE(one_error(head + "a A \"192.0.2.1\"\n", 3, "unexpected quoted string"));
  EXPECT_TRUE(one_error(head + "a SOA ns host 1 2 3 4\n", 3, "SOA takes"));
  EXPECT_TRUE(one_error(head + "a SOA ns host x 2 3 4 5\n", 3, "bad SOA serial"));
  EXPECT_TRUE(one_error(head + "$INCLUDE other.zone\n", 3, "$INCLUDE is not supported"));
  EXPECT_TRUE(one_error(head + "$GENERATE 1-2 a$ A 192.0.2.$\n", 3, "$GENERATE is not supported"));
  EXPECT_TRUE(one_error(head + "$FOO 1\n", 3, "unknown directive $FOO"));
  EXPECT_TRUE(one_error(head + "$TTL\n", 3, "$TTL takes one TTL"));
}

TEST(ZoneFileErrors, NamesNeedAnOrigin) {
  EXPECT_TRUE(one_error("$TTL 60\nwww A 192.0.2.1\n", 2, "relative name \"www\" with no $ORIGIN"));
  EXPECT_TRUE(one_error("$TTL 60\n@ A 192.0.2.1\n", 2, "'@' used with no $ORIGIN"));
  EXPECT_TRUE(one_error("$TTL 60\nx.test. MX 1 mx\n", 2, "relative name \"mx\""));
}

TEST(ZoneFileErrors, FirstRecordNeedsOwnerAndTtl) {
  EXPECT_TRUE(one_error("$ORIGIN example.test.\n  A 192.0.2.1\n", 2, "no owner name"));
  EXPECT_TRUE(one_error("$ORIGIN example.test.\na A 192.0.2.1\n", 2, "no TTL"));
}

TEST(ZoneFileErrors, SyntaxErrorsWithLines) {
  EXPECT_TRUE(one_error("$ORIGIN x.test.\n$TTL 60\n@ SOA ns host (\n 1 2 3 4 5\n", 3, "'(' is never closed"));
  EXPECT_TRUE(one_error("$ORIGIN x.test.\n$TTL 60\na A 192.0.2.1 )\n", 3, "')' without '('"));
  EXPECT_TRUE(one_error("$ORIGIN x.test.\n$TTL 60\na TXT \"open\nb A 192.0.2.1\n", 3,
                        "quoted string is not closed"));
}

TEST(ZoneFileErrors, AllErrorsAreReportedInOrder) {
  const auto errors = parse_errors(
      "$ORIGIN example.test.\n$TTL 60\n"
      "a A 1.2.3\n"            // 3
      "ok A 192.0.2.1\n"       // 4: fine
      "b MX x y\n"             // 5
      "c BOGUS\n"              // 6
      "d TXT \"unterminated\n" // 7: the lexer stops here
      "e A 1.2.3\n");          // never reached
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].rfind("t.zone:3: ", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind("t.zone:5: ", 0), 0u) << errors[1];
  EXPECT_EQ(errors[2].rfind("t.zone:6: ", 0), 0u) << errors[2];
  EXPECT_EQ(errors[3].rfind("t.zone:7: ", 0), 0u) << errors[3];
}

TEST(ZoneFileErrors, ErrorCountIsCapped) {
  std::string text = "$ORIGIN x.test.\n$TTL 60\n";
  for (int i = 0; i < 200; ++i) text += "a A bad\n";
  ZoneFileOptions options;
  options.max_errors = 50;
  auto r = parse_zone(text, "t.zone", options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().size(), 50u);
}

TEST(ZoneLexer, EscapedDelimitersStayInTokens) {
  const auto lexed = split_entries("a\\;b \\(c\\) \"q;(x)\" ; tail\n  next\n", "f");
  ASSERT_FALSE(lexed.error);
  ASSERT_EQ(lexed.entries.size(), 2u);
  const auto& t = lexed.entries[0].tokens;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].text, "a\\;b");
  EXPECT_EQ(t[1].text, "\\(c\\)");
  EXPECT_EQ(t[2].text, "q;(x)");
  EXPECT_TRUE(t[2].quoted);
  EXPECT_FALSE(lexed.entries[0].starts_with_blank);
  EXPECT_TRUE(lexed.entries[1].starts_with_blank);
  EXPECT_EQ(lexed.entries[1].line, 2);
}

TEST(ZoneLexer, DecodeEscapes) {
  EXPECT_EQ(decode_escapes("a\\065\\\\\\\""), "aA\\\"");
  EXPECT_EQ(decode_escapes("\\000").value().size(), 1u);
  EXPECT_FALSE(decode_escapes("x\\"));
  EXPECT_FALSE(decode_escapes("\\25"));
  EXPECT_FALSE(decode_escapes("\\256"));
}

}  // namespace
}  // namespace hikyaku::dns

namespace hikyaku::dns {
namespace {

TEST(ZoneFileParse, TlsaWithHexSplitByWhiteSpace) {
  const auto recs = parse_ok(
      "$ORIGIN example.test.\n"
      "_25._tcp.mx 300 IN TLSA 3 1 1 ( 0123456789abcdef\n"
      "                                 FEDCBA9876543210 )\n");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].type, RecordType::tlsa);
  const auto& t = std::get<TlsaRecord>(recs[0].data);
  EXPECT_EQ(t.usage, 3);
  EXPECT_EQ(t.selector, 1);
  EXPECT_EQ(t.matching_type, 1);
  EXPECT_EQ(t.data, std::string("\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10", 16));
}

TEST(ZoneFileParse, TlsaErrors) {
  EXPECT_TRUE(one_error("x.test. TLSA 3 1 1\n", 1, "TLSA takes"));
  EXPECT_TRUE(one_error("x.test. TLSA 256 1 1 00\n", 1, "bad TLSA field"));
  EXPECT_TRUE(one_error("x.test. TLSA 3 1 1 abc\n", 1, "hex digits"));
  EXPECT_TRUE(one_error("x.test. TLSA 3 1 1 zz\n", 1, "hex digits"));
}

}  // namespace
}  // namespace hikyaku::dns
