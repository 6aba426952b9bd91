// Authentication-Results rendering (RFC 8601 §2.2 syntax and quoting, §2.7 methods, folding
// per RFC 5322 §2.1.1/§2.2.3) and removal of fields carrying our authserv-id (§5, §7.1).
#include <gtest/gtest.h>

#include "auth/authentication_results.hpp"

namespace hikyaku::auth {
namespace {

AuthResults sample() {
  AuthResults r;
  r.spf.mail_from = {SpfResult::pass, "alice@example.com", "example.com", ""};
  DkimSignatureOutcome s;
  s.result = DkimResult::pass;
  s.domain = "example.com";
  s.selector = "sel";
  s.b_prefix = "abcdefgh";
  r.dkim.push_back(s);
  r.arc.cv = ArcResult::Cv::none;
  r.dmarc.result = DmarcResult::pass;
  r.dmarc.from_domain = "example.com";
  r.dmarc.record_domain = "example.com";
  r.dmarc.policy = DmarcPolicy::reject;
  return r;
}

// Every line ends in CRLF, continuation lines start with a tab, no bare CR or LF.
void expect_well_formed(const std::string& field) {
  ASSERT_GE(field.size(), 2u);
  EXPECT_EQ(field.substr(field.size() - 2), "\r\n");
  size_t start = 0;
  while (start < field.size()) {
    const size_t end = field.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    const std::string line = field.substr(start, end - start);
    EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos) << line;
    EXPECT_LE(line.size(), 998u);
    if (start > 0) {
      EXPECT_EQ(line[0], '\t');
    }
    start = end + 2;
  }
}

TEST(AuthResultsRender, ExactFolded) {
  const std::string f = render_authentication_results(sample(), "mx.hikyaku.example",
                                                      {"alice@example.com", "mail.example.com"});
  EXPECT_EQ(f,
            "Authentication-Results: mx.hikyaku.example;\r\n"
            "\tspf=pass smtp.mailfrom=alice@example.com;\r\n"
            "\tdkim=pass header.d=example.com header.s=sel header.b=abcdefgh; arc=none;\r\n"
            "\tdmarc=pass (p=REJECT dis=NONE; policy domain example.com)\r\n"
            "\theader.from=example.com policy.dmarc=reject\r\n");
  expect_well_formed(f);
}

TEST(AuthResultsRender, FromRewrittenCommentEndsTheDmarcResinfo) {
  const std::string f = render_authentication_results(sample(), "mx.hikyaku.example",
                                                      {"alice@example.com", "mail.example.com"}, "spf-only-aligned");
  EXPECT_EQ(f,
            "Authentication-Results: mx.hikyaku.example;\r\n"
            "\tspf=pass smtp.mailfrom=alice@example.com;\r\n"
            "\tdkim=pass header.d=example.com header.s=sel header.b=abcdefgh; arc=none;\r\n"
            "\tdmarc=pass (p=REJECT dis=NONE; policy domain example.com)\r\n"
            "\theader.from=example.com policy.dmarc=reject\r\n"
            "\t(From rewritten: spf-only-aligned)\r\n");
  expect_well_formed(f);
  // Only a reason word goes in: anything else is left out rather than quoted into a comment.
  const std::string hostile = render_authentication_results(sample(), "mx.example", {"a@example.com", "h"},
                                                            "x) dmarc=pass (");
  EXPECT_EQ(hostile.find("From rewritten"), std::string::npos);
}

TEST(AuthResultsRender, FailuresNullSenderAndNoSignature) {
  AuthResults r;
  r.spf.mail_from = {SpfResult::softfail, "postmaster@helo.example", "helo.example", ""};
  r.arc.cv = ArcResult::Cv::fail;
  r.arc.reason = "AMS 1 \"bad\"";
  r.dmarc.result = DmarcResult::fail;
  r.dmarc.from_domain = "a.example.org";
  r.dmarc.record_domain = "example.org";
  r.dmarc.policy_source = DmarcPolicySource::organizational_domain;
  r.dmarc.policy = DmarcPolicy::reject;
  r.dmarc.testing = true;  // RFC 9989 §4.7 t=y: policy.dmarc is the policy one level below
  r.dmarc.disposition = DmarcPolicy::quarantine;
  const std::string f = render_authentication_results(r, "a.example", {"", "helo.example"});
  EXPECT_EQ(f,
            "Authentication-Results: a.example; spf=softfail smtp.helo=helo.example;\r\n"
            "\tdkim=none; arc=fail reason=\"AMS 1 \\\"bad\\\"\";\r\n"
            "\tdmarc=fail\r\n"
            "\t(p=REJECT dis=QUARANTINE t=y; policy domain example.org (organizational domain))\r\n"
            "\theader.from=a.example.org policy.dmarc=quarantine\r\n");
  expect_well_formed(f);
}

TEST(AuthResultsRender, OneResinfoPerSignature) {
  AuthResults r = sample();
  DkimSignatureOutcome bad;
  bad.result = DkimResult::fail;
  bad.domain = "list.example.net";
  bad.selector = "s1";
  bad.b_prefix = "a+b/c=d=";
  bad.reason = "body hash mismatch";
  r.dkim.push_back(bad);
  const std::string f = render_authentication_results(r, "mx.example", {"a@example.com", "h"});
  EXPECT_NE(f.find("dkim=pass header.d=example.com header.s=sel header.b=abcdefgh;"), std::string::npos) << f;
  EXPECT_NE(f.find("dkim=fail reason=\"body hash mismatch\""), std::string::npos) << f;
  EXPECT_NE(f.find("header.b=\"a+b/c=d=\""), std::string::npos) << f;  // '/' '=' are tspecials
  expect_well_formed(f);
}

TEST(AuthResultsRender, HostileValuesAreQuotedNeverRaw) {
  AuthResults r = sample();
  r.dkim.front().domain = "evil.example\r\nBcc: victim@example.com";
  r.dkim.front().selector = "s;dmarc=pass";
  r.dmarc.from_domain = "x\ny";
  const std::string f = render_authentication_results(
      r, "mx.example\r\nX-Injected: 1", {"\"john doe\"@example.com", "[192.0.2.1]"});
  expect_well_formed(f);
  EXPECT_EQ(f.find("\r\nBcc"), std::string::npos);
  EXPECT_EQ(f.find("\r\nX-Injected"), std::string::npos);
  EXPECT_NE(f.find("header.d=\"evil.example??Bcc: victim@example.com\""), std::string::npos) << f;
  EXPECT_NE(f.find("header.s=\"s;dmarc=pass\""), std::string::npos) << f;
  EXPECT_NE(f.find("smtp.mailfrom=\"john doe\"@example.com"), std::string::npos) << f;
  EXPECT_EQ(f.rfind("Authentication-Results: \"mx.example??X-Injected: 1\";", 0), 0u) << f;
}

TEST(AuthResultsRender, LocalPartsAndHelo) {
  AuthResults r = sample();
  auto render = [&](const std::string& mail_from, const std::string& helo) {
    return render_authentication_results(r, "mx.example", {mail_from, helo});
  };
  EXPECT_NE(render("first.last+tag@example.com", "").find("smtp.mailfrom=first.last+tag@example.com"), std::string::npos);
  EXPECT_NE(render("john doe@example.com", "").find("smtp.mailfrom=\"john doe\"@example.com"), std::string::npos);
  EXPECT_NE(render("a\"b@example.com", "").find("smtp.mailfrom=\"a\\\"b\"@example.com"), std::string::npos);
  EXPECT_NE(render("no-domain", "").find("smtp.mailfrom=no-domain"), std::string::npos);
  EXPECT_NE(render("x@[192.0.2.1]", "").find("smtp.mailfrom=\"x@[192.0.2.1]\""), std::string::npos);
  EXPECT_NE(render("", "[192.0.2.1]").find("smtp.helo=\"[192.0.2.1]\""), std::string::npos);
  const std::string neither = render("", "");
  EXPECT_NE(neither.find("spf=pass;"), std::string::npos) << neither;
}

TEST(AuthResultsRender, LongValuesStayUnder998) {
  AuthResults r = sample();
  for (int i = 0; i < 20; ++i) r.dkim.push_back(r.dkim.front());
  r.dkim.back().reason = std::string(5000, 'x');
  const std::string f = render_authentication_results(r, std::string(400, 'a'), {std::string(3000, 'b') + "@example.com", ""});
  expect_well_formed(f);
}

TEST(AuthResultsValue, TokenOrQuoted) {
  EXPECT_EQ(ar_value("pass"), "pass");
  EXPECT_EQ(ar_value("mx.example.com"), "mx.example.com");
  EXPECT_EQ(ar_value(""), "\"\"");
  EXPECT_EQ(ar_value("a b"), "\"a b\"");
  EXPECT_EQ(ar_value("a\\b\"c"), "\"a\\\\b\\\"c\"");
  EXPECT_EQ(ar_value("x\r\ny\0z"), "\"x??y\"");  // NUL ends the literal; CR LF replaced
  EXPECT_EQ(ar_value(std::string_view("n\0l", 3)), "\"n?l\"");
  EXPECT_EQ(ar_value("b\xc3\xbc"), "\"b\xc3\xbc\"");  // RFC 6532 UTF-8 in a quoted-string
  EXPECT_EQ(ar_value(std::string(300, 'a')).size(), 256u);
}

TEST(AuthservId, Parse) {
  EXPECT_EQ(parse_authserv_id(" mx.example; spf=pass"), "mx.example");
  EXPECT_EQ(parse_authserv_id("mx.example 1; spf=pass"), "mx.example");
  EXPECT_EQ(parse_authserv_id("(comment (nested) \\) x) MX.Example;"), "MX.Example");
  EXPECT_EQ(parse_authserv_id("\r\n\t(c)\r\n mx.example;"), "mx.example");
  EXPECT_EQ(parse_authserv_id("\"mx.\\\"example\"; none"), "mx.\"example");
  EXPECT_EQ(parse_authserv_id("mx.example;none"), "mx.example");
  EXPECT_FALSE(parse_authserv_id("").has_value());
  EXPECT_FALSE(parse_authserv_id("  ; spf=pass").has_value());
  EXPECT_FALSE(parse_authserv_id("(unterminated mx.example;").has_value());
  EXPECT_FALSE(parse_authserv_id("\"unterminated").has_value());
}

TEST(AuthResultsRemove, OnlyOursAndByteForByte) {
  const std::string raw =
      "Received: from x\r\n"
      "Authentication-Results: mx.example; spf=pass smtp.mailfrom=a@b.c\r\n"
      "authentication-results: (forged) MX.EXAMPLE;\r\n dkim=pass\r\n"
      "Authentication-Results: \"mx.example\"; dmarc=pass\r\n"
      "Authentication-Results: other.example; spf=fail\r\n"
      "Authentication-Results: mx.example.evil; spf=fail\r\n"
      "ARC-Authentication-Results: i=1; mx.example; spf=pass\r\n"
      "X-Note:  keep   spacing \r\n"
      "Authentication-Results:mx.example;none\r\n"
      "\r\n"
      "Authentication-Results: mx.example; in the body\r\n";
  const core::Message m(raw);
  EXPECT_EQ(remove_authentication_results(m, "mx.example"),
            "Received: from x\r\n"
            "Authentication-Results: other.example; spf=fail\r\n"
            "Authentication-Results: mx.example.evil; spf=fail\r\n"
            "ARC-Authentication-Results: i=1; mx.example; spf=pass\r\n"
            "X-Note:  keep   spacing \r\n"
            "\r\n"
            "Authentication-Results: mx.example; in the body\r\n");
  EXPECT_EQ(remove_authentication_results(m, "nobody.example"), raw);
}

TEST(AuthResultsRemove, RenderedFieldIsRecognised) {
  const std::string field = render_authentication_results(sample(), "mx.example", {"a@b.example", "h"});
  const core::Message m(field + "From: a@b.example\r\n\r\nhi\r\n");
  EXPECT_EQ(remove_authentication_results(m, "MX.example"), "From: a@b.example\r\n\r\nhi\r\n");
}

}  // namespace
}  // namespace hikyaku::auth
