// RFC 6376 §3.4 canonicalisation: the §3.4.5 examples (both algorithms, header and body),
// empty bodies, l=, h= selection bottom-up (§5.4.2), b= emptied in the signature (§3.7), and the
// body hash (§3.7 bh=) streamed in pieces equal to the hash of the whole canonical body.
#include <gtest/gtest.h>

#include "auth/arc_crypto.hpp"
#include "auth/body_hash.hpp"
#include "auth/dkim_canon.hpp"

namespace hikyaku::auth {
namespace {

// RFC 6376 §3.4.5: "A: <SP> X <CRLF>", "B <SP> : <SP> Y <HTAB><CRLF> <HTAB> Z <SP><SP><CRLF>",
// then a body " C <SP><CRLF> D <SP><HTAB><SP> E <CRLF> <CRLF> <CRLF>".
const std::string kExample = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";

TEST(ArcCanon, Rfc6376Example_Relaxed) {
  core::Message m(kExample);
  ASSERT_EQ(m.fields().size(), 2u);
  EXPECT_EQ(canon_header(Canon::relaxed, m.field_text(m.fields()[0])), "a:X\r\n");
  EXPECT_EQ(canon_header(Canon::relaxed, m.field_text(m.fields()[1])), "b:Y Z\r\n");
  EXPECT_EQ(canon_body(Canon::relaxed, m.body()), " C\r\nD E\r\n");
}

TEST(ArcCanon, Rfc6376Example_Simple) {
  core::Message m(kExample);
  EXPECT_EQ(canon_header(Canon::simple, m.field_text(m.fields()[0])), "A: X\r\n");
  EXPECT_EQ(canon_header(Canon::simple, m.field_text(m.fields()[1])), "B : Y\t\r\n\tZ  \r\n");
  EXPECT_EQ(canon_body(Canon::simple, m.body()), " C \r\nD \t E\r\n");
}

TEST(ArcCanon, EmptyBodies) {
  EXPECT_EQ(canon_body(Canon::simple, ""), "\r\n");  // §3.4.3
  EXPECT_EQ(canon_body(Canon::relaxed, ""), "");     // §3.4.4 (errata 3133)
  EXPECT_EQ(canon_body(Canon::simple, "\r\n\r\n"), "\r\n");
  EXPECT_EQ(canon_body(Canon::relaxed, " \t\r\n\r\n"), "");
}

TEST(ArcCanon, MissingFinalCrlfIsAdded) {
  EXPECT_EQ(canon_body(Canon::simple, "abc"), "abc\r\n");
  EXPECT_EQ(canon_body(Canon::relaxed, "a  b \t"), "a b\r\n");
}

TEST(ArcCanon, BareCrAndLfAreOrdinaryOctets) {
  EXPECT_EQ(canon_body(Canon::simple, "a\nb\r\n"), "a\nb\r\n");
  EXPECT_EQ(canon_body(Canon::relaxed, "a\rb \r\n"), "a\rb\r\n");
}

TEST(ArcCanon, BodyLengthLimit) {
  EXPECT_EQ(body_hash_input(Canon::simple, "hello\r\n", 3), std::optional<std::string>("hel"));
  EXPECT_EQ(body_hash_input(Canon::simple, "hello\r\n", 7), std::optional<std::string>("hello\r\n"));
  EXPECT_EQ(body_hash_input(Canon::simple, "hello\r\n", 8), std::nullopt);
  EXPECT_EQ(body_hash_input(Canon::relaxed, "", 0), std::optional<std::string>(""));
}

TEST(ArcCanon, ParseCanon) {
  EXPECT_EQ(parse_canon("relaxed/simple")->header, Canon::relaxed);
  EXPECT_EQ(parse_canon("relaxed/simple")->body, Canon::simple);
  EXPECT_EQ(parse_canon("relaxed")->body, Canon::simple);  // §3.5: body defaults to simple
  EXPECT_FALSE(parse_canon(""));
  EXPECT_FALSE(parse_canon("relaxed/"));
  EXPECT_FALSE(parse_canon("Relaxed/relaxed"));
  EXPECT_FALSE(parse_canon("simple/simple/simple"));
}

TEST(ArcCanon, HeaderNamesAreSplitAndLowerCased) {
  EXPECT_EQ(split_header_names("From : To:\r\n Subject"),
            (std::vector<std::string>{"from", "to", "subject"}));
  EXPECT_TRUE(split_header_names("").empty());
}

TEST(ArcCanon, RepeatedNamesAreTakenBottomUp) {
  core::Message m("Received: 1\r\nX: a\r\nReceived: 2\r\nx: b\r\n\r\nbody\r\n");
  const auto sel = select_headers(m, {"x", "received", "x", "x"});
  ASSERT_EQ(sel.size(), 4u);
  EXPECT_EQ(m.field_text(*sel[0]), "x: b");
  EXPECT_EQ(m.field_text(*sel[1]), "Received: 2");
  EXPECT_EQ(m.field_text(*sel[2]), "X: a");
  EXPECT_EQ(sel[3], nullptr);  // no instance left: contributes nothing
}

TEST(ArcCanon, SignatureValueEmptied) {
  EXPECT_EQ(without_b_value("ARC-Seal: a=rsa-sha256; b=abc\r\n def; bh=xyz; cv=none"),
            "ARC-Seal: a=rsa-sha256; b=; bh=xyz; cv=none");
  EXPECT_EQ(without_b_value("X: bh=xyz;b =abc"), "X: bh=xyz;b =");
  EXPECT_EQ(without_b_value("X: a=1"), "X: a=1");
}

TEST(ArcCanon, SignedHeaderData) {
  core::Message m("From: A <a@example.org>\r\nSubject:  hi \r\nX-Sig: a=1; b=zz;\r\n\r\n");
  const std::string data = signed_header_data(m, Canon::relaxed, {"subject", "from", "to"},
                                              m.field_text(m.fields()[2]));
  EXPECT_EQ(data, "subject:hi\r\nfrom:A <a@example.org>\r\nx-sig:a=1; b=;");
}

}  // namespace
}  // namespace hikyaku::auth

namespace hikyaku::auth {
namespace {

// Bodies at the edges of §3.4.3 / §3.4.4: empty, only empty lines, WSP-only lines, no final
// CRLF, bare CR/LF, empty lines inside and at the end, and one larger than the hash's block.
std::vector<std::string> edge_bodies() {
  std::vector<std::string> out = {"", "\r\n", "\r\n\r\n\r\n", " \t\r\n", "a", "a\r\n\r\nb",
                                  " C \r\nD \t E\r\n\r\n\r\n", "x\ry\nz\r\n \r\n\t\r\n",
                                  "\r\n\r\nlate start  \r\n"};
  std::string big;
  for (int i = 0; i < 3000; ++i) big += "line " + std::to_string(i) + "  with   runs\t \r\n\r\n";
  big += std::string(40000, 'q') + "\r\n";  // one piece longer than the block
  out.push_back(big);
  return out;
}

TEST(BodyHash, PiecesMakeTheCanonicalBody) {
  for (const auto& body : edge_bodies()) {
    for (Canon c : {Canon::simple, Canon::relaxed}) {
      std::string joined;
      canon_body_pieces(c, body, [&](std::string_view p) { joined.append(p); });
      EXPECT_EQ(joined, canon_body(c, body));
    }
  }
}

TEST(BodyHash, StreamedHashEqualsTheHashOfTheWholeBody) {
  for (const auto& body : edge_bodies()) {
    for (Canon c : {Canon::simple, Canon::relaxed}) {
      const BodyHash h = body_hash(c, body);
      EXPECT_EQ(h.canon, c);
      EXPECT_EQ(h.digest, sha256(canon_body(c, body))) << body.substr(0, 40);
      EXPECT_EQ(h.base64(), base64_encode(sha256(canon_body(c, body))));
    }
  }
  // RFC 6376 §3.4.5's example body, relaxed, and the empty body's well-known hashes.
  EXPECT_EQ(body_hash(Canon::relaxed, "").base64(), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(body_hash(Canon::simple, "").base64(), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
}

}  // namespace
}  // namespace hikyaku::auth
