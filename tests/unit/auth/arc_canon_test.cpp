// RFC 6376 §3.4 canonicalisation: the §3.4.5 examples (both algorithms, header and body),
// empty bodies, l=, h= selection bottom-up (§5.4.2), and b= emptied in the signature (§3.7).
#include <gtest/gtest.h>

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
