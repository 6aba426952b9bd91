// The From rewrite, exact bytes: display names (plain, quoted with quoted-pairs, RFC 2047
// encoded words, obs-phrase, none, a comment only), Reply-To added only when absent,
// X-Original-From, folding at 78 octets, and every From that must not be rewritten.
#include <gtest/gtest.h>

#include "app/from_rewrite.hpp"

namespace hikyaku::app {
namespace {

const std::string kTail = "To: bob@dest.example\r\nSubject: hi\r\n\r\nbody line\r\n";

core::Address reply() {
  core::Address a;
  a.local = "r";
  a.domain = "fwd.example";
  return a;
}

// The message with `from` (one whole field, CRLF-terminated) as its first field, rewritten.
std::string rewritten(const std::string& from, const std::string& more = "") {
  const core::Message m("Date: x\r\n" + from + more + kTail);
  auto author = parse_author(m);
  EXPECT_TRUE(author.has_value()) << from;
  if (!author) return {};
  return rewrite_from(m, *author, reply(), "fwd.example");
}

// The (folded) From field at the start of `out` after "Date: x\r\n", with its final CRLF.
std::string from_field(const std::string& out) {
  size_t end = 9;
  for (;;) {
    end = out.find("\r\n", end);
    if (end == std::string::npos) return out.substr(9);
    end += 2;
    if (end >= out.size() || (out[end] != ' ' && out[end] != '\t')) return out.substr(9, end - 9);
  }
}

std::string expected(const std::string& fields, const std::string& more = "") {
  return "Date: x\r\n" + fields + more + kTail;
}

AuthorHeader refusal(const std::string& headers) {
  const core::Message m(headers + kTail);
  auto author = parse_author(m);
  EXPECT_FALSE(author.has_value()) << headers;
  return author ? AuthorHeader::rewritable : author.error();
}

TEST(FromRewrite, PlainDisplayNameBecomesOneQuotedString) {
  EXPECT_EQ(rewritten("From: Alice Example <alice@example.org>\r\n"),
            expected("From: \"Alice Example via fwd.example\" <r@fwd.example>\r\n"
                     "Reply-To: Alice Example <alice@example.org>\r\n"
                     "X-Original-From: Alice Example <alice@example.org>\r\n"));
}

TEST(FromRewrite, NoDisplayNameShowsTheAddress) {
  EXPECT_EQ(rewritten("From: alice@example.org\r\n"),
            expected("From: \"alice at example.org via fwd.example\" <r@fwd.example>\r\n"
                     "Reply-To: alice@example.org\r\n"
                     "X-Original-From: alice@example.org\r\n"));
  EXPECT_EQ(rewritten("From: <alice@example.org>\r\n"),
            expected("From: \"alice at example.org via fwd.example\" <r@fwd.example>\r\n"
                     "Reply-To: <alice@example.org>\r\n"
                     "X-Original-From: <alice@example.org>\r\n"));
  // A comment is not a display name (RFC 5322 §3.2.2): it is skipped, and kept in Reply-To.
  EXPECT_EQ(rewritten("From: alice@example.org (Alice)\r\n"),
            expected("From: \"alice at example.org via fwd.example\" <r@fwd.example>\r\n"
                     "Reply-To: alice@example.org (Alice)\r\n"
                     "X-Original-From: alice@example.org (Alice)\r\n"));
}

TEST(FromRewrite, QuotedDisplayNameKeepsItsQuotedPairs) {
  EXPECT_EQ(rewritten("From: \"Doe, \\\"JD\\\" John\" <jd@example.org>\r\n"),
            expected("From: \"Doe, \\\"JD\\\" John via fwd.example\" <r@fwd.example>\r\n"
                     "Reply-To: \"Doe, \\\"JD\\\" John\" <jd@example.org>\r\n"
                     "X-Original-From: \"Doe, \\\"JD\\\" John\" <jd@example.org>\r\n"));
  // An escaped backslash stays escaped; a needlessly escaped letter loses its backslash.
  EXPECT_EQ(from_field(rewritten("From: \"a\\\\b \\c\" <x@example.org>\r\n")),
            "From: \"a\\\\b c via fwd.example\" <r@fwd.example>\r\n");
}

TEST(FromRewrite, EncodedWordsAreKeptAsWritten) {
  EXPECT_EQ(rewritten("From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\r\n"),
            expected("From: =?UTF-8?B?5bGx55Sw?= \"via fwd.example\" <r@fwd.example>\r\n"
                     "Reply-To: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\r\n"
                     "X-Original-From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\r\n"));
  // Mixed with atoms and a quoted-string: each word as written, single spaces.
  EXPECT_EQ(from_field(rewritten("From: Taro  =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=  \"(Sales)\" <t@example.jp>\r\n")),
            "From: Taro =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= \"(Sales)\" \"via fwd.example\"\r\n <r@fwd.example>\r\n");
}

TEST(FromRewrite, ObsPhraseWithDotsAndUtf8) {
  EXPECT_EQ(from_field(rewritten("From: John Q. Public <jqp@example.org>\r\n")),
            "From: \"John Q. Public via fwd.example\" <r@fwd.example>\r\n");
  EXPECT_EQ(from_field(rewritten("From: Jürgen Müller <jm@example.de>\r\n")),
            "From: \"Jürgen Müller via fwd.example\" <r@fwd.example>\r\n");
}

TEST(FromRewrite, ExistingReplyToIsKept) {
  EXPECT_EQ(rewritten("From: Alice <alice@example.org>\r\n", "Reply-To: list@example.org\r\n"),
            expected("From: \"Alice via fwd.example\" <r@fwd.example>\r\n"
                     "X-Original-From: Alice <alice@example.org>\r\n",
                     "Reply-To: list@example.org\r\n"));
}

TEST(FromRewrite, FoldedOriginalIsCopiedWithItsFolding) {
  EXPECT_EQ(rewritten("From: Alice\r\n <alice@example.org>\r\n"),
            expected("From: \"Alice via fwd.example\" <r@fwd.example>\r\n"
                     "Reply-To: Alice\r\n <alice@example.org>\r\n"
                     "X-Original-From: Alice\r\n <alice@example.org>\r\n"));
}

TEST(FromRewrite, LongFieldFoldsBeforeASpaceWithin78Octets) {
  const std::string out = rewritten(
      "From: The Quite Long Display Name Of Somebody Important In Sales And Marketing <s@example.org>\r\n");
  EXPECT_EQ(from_field(out),
            "From: \"The Quite Long Display Name Of Somebody Important In Sales And\r\n"
            " Marketing via fwd.example\" <r@fwd.example>\r\n");
  // Every line of the new field within 78 octets; unfolded it is one line again.
  EXPECT_EQ(fold_field(std::string(100, 'x')), std::string(100, 'x') + "\r\n");  // no space: as is
  EXPECT_EQ(fold_field("Subject: " + std::string(70, 'a') + " " + std::string(70, 'b')),
            "Subject: " + std::string(70, 'a') + "\r\n " + std::string(70, 'b') + "\r\n");
  // 78 octets exactly stays on one line; 79 folds.
  const std::string at78 = "Subject: " + std::string(30, 'a') + " " + std::string(38, 'b');
  ASSERT_EQ(at78.size(), 78u);
  EXPECT_EQ(fold_field(at78), at78 + "\r\n");
  const std::string at79 = at78 + "b";
  EXPECT_EQ(fold_field(at79), "Subject: " + std::string(30, 'a') + "\r\n " + std::string(39, 'b') + "\r\n");
  // Never between a backslash and the space it quotes.
  EXPECT_EQ(fold_field("Subject: \"" + std::string(60, 'a') + " " + std::string(10, 'b') + "\\ " + std::string(10, 'c') + "\""),
            "Subject: \"" + std::string(60, 'a') + "\r\n " + std::string(10, 'b') + "\\ " + std::string(10, 'c') + "\"\r\n");
}

TEST(FromRewrite, ResultParsesWithOneFromAndTheBodyUntouched) {
  const core::Message out(rewritten("From: Alice <alice@example.org>\r\n"));
  ASSERT_EQ(out.find("From").size(), 1u);
  EXPECT_EQ(out.field_value(*out.find("From")[0]), " \"Alice via fwd.example\" <r@fwd.example>");
  EXPECT_EQ(out.body(), "body line\r\n");
  auto again = parse_author(out);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->address.str(), "r@fwd.example");
}

TEST(FromRewrite, WhatIsNotRewritten) {
  EXPECT_EQ(refusal("From: a@example.org\r\nFrom: b@example.org\r\n"), AuthorHeader::multiple_from);
  EXPECT_EQ(refusal("Sender: a@example.org\r\n"), AuthorHeader::multiple_from);  // none
  EXPECT_EQ(refusal("From: a@example.org, b@example.net\r\n"), AuthorHeader::multiple_authors);
  EXPECT_EQ(refusal("From: Team: a@example.org, b@example.org;\r\n"), AuthorHeader::group);
  EXPECT_EQ(refusal("From: undisclosed-recipients:;\r\n"), AuthorHeader::group);
  EXPECT_EQ(refusal("From: Alice\r\n"), AuthorHeader::bad_syntax);
  EXPECT_EQ(refusal("From: \r\n"), AuthorHeader::bad_syntax);
  EXPECT_EQ(refusal("From: <alice@example.org\r\n"), AuthorHeader::bad_syntax);
  EXPECT_EQ(refusal("From: \"unterminated <a@example.org>\r\n"), AuthorHeader::bad_syntax);
  EXPECT_EQ(refusal("From: a@[192.0.2.1] <b@example.org>\r\n"), AuthorHeader::bad_syntax);
  EXPECT_EQ(refusal("From: " + std::string(65, 'a') + "@example.org\r\n"), AuthorHeader::too_long);
  // Obsolete empty list elements around one mailbox are still one author (RFC 5322 §4.4).
  const core::Message m("From: , Alice <alice@example.org> ,\r\n" + kTail);
  ASSERT_TRUE(parse_author(m).has_value());
}

TEST(FromRewrite, AuthorSignatureSurvivesWhatWePrependUnlessItOverSignsIt) {
  const std::vector<std::string> ours = prepended_field_names(/*arc=*/true, /*signs=*/true);
  ASSERT_EQ(ours.size(), 6u);
  const auto message = [](const std::string& h, const std::string& more = "") {
    return core::Message("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s1;\r\n\th=" + h +
                         "; bh=AAAA; b=AAAA\r\n" + more + "From: a@example.org\r\n" + kTail);
  };
  EXPECT_TRUE(survives_prepended(message("from:to:subject"), 0, ours));
  // Fields named once for each instance present: ours on top is not covered.
  EXPECT_TRUE(survives_prepended(message("from:Received", "Received: by x\r\n"), 0, ours));
  // Named more often than present (over-signed, RFC 6376 §5.4.2): ours on top is covered.
  EXPECT_FALSE(survives_prepended(message("from:received:received", "Received: by x\r\n"), 0, ours));
  EXPECT_FALSE(survives_prepended(message("from:Authentication-Results"), 0, ours));
  EXPECT_FALSE(survives_prepended(message("from:arc-seal"), 0, ours));
  EXPECT_TRUE(survives_prepended(message("from:arc-seal"), 0, prepended_field_names(false, true)));
  // The signature field itself counts as one present: named twice, ours on top is covered.
  EXPECT_TRUE(survives_prepended(message("from:dkim-signature"), 0, ours));
  EXPECT_FALSE(survives_prepended(message("from : dkim-signature : DKIM-Signature"), 0, ours));  // FWS in h=
  EXPECT_TRUE(survives_prepended(message("from:dkim-signature"), 0, prepended_field_names(true, false)));
  EXPECT_FALSE(survives_prepended(message("from:to"), 1, ours));  // no second signature
  EXPECT_FALSE(survives_prepended(core::Message("DKIM-Signature: v=1; d=x\r\nFrom: a@b\r\n\r\n"), 0, ours));
}

TEST(FromRewrite, SigningDomainAlignment) {
  EXPECT_TRUE(signs_for({"fwd.example"}, "fwd.example"));
  EXPECT_TRUE(signs_for({"other.example", "FWD.example"}, "fwd.EXAMPLE"));
  EXPECT_TRUE(signs_for({"example"}, "fwd.example"));  // a parent: relaxed alignment
  EXPECT_FALSE(signs_for({"wd.example"}, "fwd.example"));
  EXPECT_FALSE(signs_for({"sub.fwd.example"}, "fwd.example"));
  EXPECT_FALSE(signs_for({}, "fwd.example"));
}

}  // namespace
}  // namespace hikyaku::app
