// Unit tests for core/address: RFC 5321 §4.1.2 path/mailbox syntax, §4.1.3 address literals,
// §4.5.3.1 limits at N-1/N/N+1, RFC 6531 UTF-8 rules, IDNA conversion, printing and round trips.
#include "core/address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hikyaku::core {
namespace {

constexpr PathOptions kRcpt{};
constexpr PathOptions kUtf8{.allow_null = false, .allow_utf8 = true};
constexpr PathOptions kMail{.allow_null = true, .allow_utf8 = false};
constexpr PathOptions kPostmaster{
    .allow_null = false, .allow_utf8 = false, .allow_bare_postmaster = true};

// One comparable string per outcome, so a failing table row prints what happened.
std::string outcome(const Expected<Address, AddressError>& r) {
  if (!r) return "error: " + std::string(describe(r.error()));
  return "ok: [" + r->local + "] [" + r->domain + "]" + (r->utf8_local ? " utf8" : "");
}
std::string ok(std::string_view local, std::string_view domain, bool utf8 = false) {
  return "ok: [" + std::string(local) + "] [" + std::string(domain) + "]" + (utf8 ? " utf8" : "");
}
std::string err(AddressError e) { return "error: " + std::string(describe(e)); }

struct Case {
  std::string input;
  PathOptions opts;
  std::string expected;
};

TEST(AddressParsePath, AcceptsValidPaths) {
  const std::vector<Case> cases = {
      {"<user@example.com>", kRcpt, ok("user", "example.com")},
      {"<User@EXAMPLE.Com>", kRcpt, ok("User", "example.com")},
      {"<a.b.c@example.com>", kRcpt, ok("a.b.c", "example.com")},
      {"<!#$%&'*+-/=?^_`{|}~@example.com>", kRcpt, ok("!#$%&'*+-/=?^_`{|}~", "example.com")},
      {"<user@a-b.example>", kRcpt, ok("user", "a-b.example")},
      {"<user@1.example>", kRcpt, ok("user", "1.example")},
      {"<user@localhost>", kRcpt, ok("user", "localhost")},
      // Source routes are accepted and ignored (RFC 5321 §4.1.1.3, appendix C).
      {"<@a.example:user@c.example>", kRcpt, ok("user", "c.example")},
      {"<@a.example,@b.example:user@c.example>", kRcpt, ok("user", "c.example")},
      // Quoted strings are unquoted; quoted-pairs give the escaped octet.
      {"<\"a b\"@example.com>", kRcpt, ok("a b", "example.com")},
      {"<\"a\\\"b\"@example.com>", kRcpt, ok("a\"b", "example.com")},
      {"<\"\\\\\"@example.com>", kRcpt, ok("\\", "example.com")},
      {"<\"\\a\"@example.com>", kRcpt, ok("a", "example.com")},
      {"<\"info\"@example.com>", kRcpt, ok("info", "example.com")},
      {"<\"user@other.example\"@example.com>", kRcpt, ok("user@other.example", "example.com")},
      {"<\"a>b\"@example.com>", kRcpt, ok("a>b", "example.com")},
      {"<\"\"@example.com>", kRcpt, ok("", "example.com")},
      {"<user%other.example@example.com>", kRcpt, ok("user%other.example", "example.com")},
      {"<other.example!user@example.com>", kRcpt, ok("other.example!user", "example.com")},
      // Address literals are kept as written (RFC 5321 §4.1.3).
      {"<user@[192.0.2.1]>", kRcpt, ok("user", "[192.0.2.1]")},
      {"<user@[IPv6:2001:db8::1]>", kRcpt, ok("user", "[IPv6:2001:db8::1]")},
      {"<user@[ipv6:2001:DB8::1]>", kRcpt, ok("user", "[ipv6:2001:DB8::1]")},
      {"<user@[IPv6:::ffff:192.0.2.1]>", kRcpt, ok("user", "[IPv6:::ffff:192.0.2.1]")},
      // A-labels are checked and lowercased.
      {"<user@xn--bcher-kva.example>", kRcpt, ok("user", "xn--bcher-kva.example")},
      {"<user@XN--BCHER-KVA.Example>", kRcpt, ok("user", "xn--bcher-kva.example")},
      // The null path only where allowed; the bare postmaster only where allowed.
      {"<>", kMail, ok("", "")},
      {"<postmaster>", kPostmaster, ok("postmaster", "")},
      {"<PostMaster>", kPostmaster, ok("postmaster", "")},
      {"<postmaster@example.com>", kPostmaster, ok("postmaster", "example.com")},
      // RFC 6531: UTF-8 local parts and U-label domains under SMTPUTF8.
      {"<ü@例え.example>", kUtf8, ok("ü", "xn--r8jz45g.example", true)},
      {"<user@bücher.example>", kUtf8, ok("user", "xn--bcher-kva.example")},
      {"<user@BÜCHER.example>", kUtf8, ok("user", "xn--bcher-kva.example")},
      {"<\"ü x\"@example.com>", kUtf8, ok("ü x", "example.com", true)},
      {"<@bücher.example:ü@example.com>", kUtf8, ok("ü", "example.com", true)},
      {"<user@example.com>", kUtf8, ok("user", "example.com")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(outcome(parse_path(c.input, c.opts)), c.expected);
  }
}

TEST(AddressParsePath, RefusesInvalidPaths) {
  const auto syntax = err(AddressError::syntax);
  const auto bad_domain = err(AddressError::bad_domain);
  const auto no_utf8 = err(AddressError::utf8_not_allowed);
  const std::vector<Case> cases = {
      {"", kRcpt, syntax},
      {"<", kRcpt, syntax},
      {">", kRcpt, syntax},
      {"<>", kRcpt, syntax},
      {"<>", kPostmaster, syntax},
      {"user@example.com", kRcpt, syntax},
      {"<user@example.com", kRcpt, syntax},
      {"user@example.com>", kRcpt, syntax},
      {"<user@example.com> ", kRcpt, syntax},
      {"<user@example.com>x", kRcpt, syntax},
      {"<user@example.com>>", kRcpt, syntax},
      {"<<user@example.com>>", kRcpt, syntax},
      {"<user@example.com.>", kRcpt, syntax},
      {"<user@example..com>", kRcpt, syntax},
      {"<user@.example.com>", kRcpt, syntax},
      {"<user example@example.com>", kRcpt, syntax},
      {"< user@example.com>", kRcpt, syntax},
      {"<user@example.com >", kRcpt, syntax},
      {"<user@exa mple.com>", kRcpt, syntax},
      {"<userexample.com>", kRcpt, syntax},
      {"<user@>", kRcpt, syntax},
      {"<@example.com>", kRcpt, syntax},
      {"<@example.com:>", kRcpt, syntax},
      {"<@example.com,user@example.com>", kRcpt, syntax},
      {"<@,@b.example:user@example.com>", kRcpt, syntax},
      {"<@a.example.:user@example.com>", kRcpt, syntax},
      {"<@[192.0.2.1]:user@example.com>", kRcpt, syntax},
      {"<.user@example.com>", kRcpt, syntax},
      {"<user.@example.com>", kRcpt, syntax},
      {"<us..er@example.com>", kRcpt, syntax},
      {"<us(er@example.com>", kRcpt, syntax},
      {"<\"unterminated@example.com>", kRcpt, syntax},
      {"<\"a\"b@example.com>", kRcpt, syntax},
      {"<\"a\"\"b\"@example.com>", kRcpt, syntax},
      {"<\"a\\\"@example.com>", kRcpt, syntax},
      {"<user@example.com@other.example>", kRcpt, syntax},
      {"<user@-example.com>", kRcpt, syntax},
      {"<user@example-.com>", kRcpt, syntax},
      {"<user@exa_mple.com>", kRcpt, syntax},
      {"<user@[192.0.2.1>", kRcpt, syntax},
      {"<user@[192.0.2.1]x>", kRcpt, syntax},
      {"<postmaster>", kRcpt, syntax},
      {"<postmaster>", kMail, syntax},
      {"<postmaster >", kPostmaster, syntax},
      {"<user@[192.0.2.256]>", kRcpt, bad_domain},
      {"<user@[192.0.2]>", kRcpt, bad_domain},
      {"<user@[IPv6:zzz]>", kRcpt, bad_domain},
      {"<user@[IPv6:192.0.2.1]>", kRcpt, bad_domain},
      {"<user@[2001:db8::1]>", kRcpt, bad_domain},
      {"<user@[x-tag:stuff]>", kRcpt, bad_domain},
      {"<user@[]>", kRcpt, bad_domain},
      {"<user@xn--zz.example>", kRcpt, bad_domain},
      {"<user@xn--a.example>", kRcpt, bad_domain},
      {"<user@xn--.example>", kRcpt, bad_domain},
      {"<user@xn--ls8h.example>", kRcpt, bad_domain},
      {"<ü@example.com>", kRcpt, no_utf8},
      {"<user@bücher.example>", kRcpt, no_utf8},
      {"<\"ü\"@example.com>", kMail, no_utf8},
      // Invalid UTF-8 under SMTPUTF8: lone, truncated, overlong, surrogate, above U+10FFFF.
      {"<\xff@example.com>", kUtf8, syntax},
      {"<\xc3@example.com>", kUtf8, syntax},
      {"<\xc0\xaf@example.com>", kUtf8, syntax},
      {"<\xe0\x80\xaf@example.com>", kUtf8, syntax},
      {"<\xed\xa0\x80@example.com>", kUtf8, syntax},
      {"<\xf4\x90\x80\x80@example.com>", kUtf8, syntax},
      {"<user@b\374cher.example>", kUtf8, syntax},
      {"<\"a\\\xc3\xbc\"@example.com>", kUtf8, syntax},
      // UTS #46 mappings that would change the label structure are refused.
      {"<user@a\357\274\240b.example>", kUtf8, bad_domain},  // U+FF20 FULLWIDTH @
      {"<user@a\343\200\202b.example>", kUtf8, bad_domain},  // U+3002 IDEOGRAPHIC STOP
      {"<user@ü_x.example>", kUtf8, syntax},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(outcome(parse_path(c.input, c.opts)), c.expected);
  }
}

// NUL, CR and LF are refused wherever they appear (SMTP smuggling, header injection).
TEST(AddressParsePath, RefusesControlCharactersAtEveryOffset) {
  const std::string good = "<@relay.example:\"a b\"@example.com>";
  ASSERT_TRUE(parse_path(good, kRcpt));
  for (const char bad : {'\0', '\r', '\n'}) {
    for (size_t i = 0; i <= good.size(); ++i) {
      for (const bool replace : {false, true}) {
        std::string s = good;
        if (replace && i < s.size()) {
          s[i] = bad;
        } else {
          s.insert(i, 1, bad);
        }
        SCOPED_TRACE(testing::Message() << "offset " << i << " char " << int(bad));
        auto r = parse_path(s, kUtf8);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), AddressError::syntax);
        EXPECT_FALSE(parse_mailbox(s.substr(1, s.size() - 2), true));
      }
    }
  }
}

std::string labels(size_t total, char fill) {
  // A dotted domain of exactly `total` octets with labels of at most 63.
  std::string d;
  while (d.size() < total) {
    if (!d.empty()) d += '.';
    const size_t room = total - d.size();
    size_t take = room > 63 ? 63 : room;
    if (room - take == 1) --take;  // never leave room for just a trailing "."
    d += std::string(take, fill);
  }
  return d;
}

TEST(AddressLimits, LocalPartAt63To65) {
  for (const size_t n : {63u, 64u, 65u}) {
    SCOPED_TRACE(n);
    const std::string local(n, 'a');
    const auto r = parse_path("<" + local + "@example.com>", kRcpt);
    EXPECT_EQ(outcome(r), n <= 64 ? ok(local, "example.com") : err(AddressError::too_long));
    // Quoted, the limit counts the quotes as written.
    const std::string quoted = "\"" + std::string(n - 2, 'b') + "\"";
    const auto q = parse_path("<" + quoted + "@example.com>", kRcpt);
    EXPECT_EQ(q.has_value(), n <= 64);
    if (!q) {
      EXPECT_EQ(q.error(), AddressError::too_long);
    }
  }
}

TEST(AddressLimits, PathAt255To257) {
  for (const size_t n : {255u, 256u, 257u}) {
    SCOPED_TRACE(n);
    const std::string domain = labels(n - 2 - 64 - 1, 'd');
    const std::string path = "<" + std::string(64, 'a') + "@" + domain + ">";
    ASSERT_EQ(path.size(), n);
    const auto r = parse_path(path, kRcpt);
    EXPECT_EQ(outcome(r),
              n <= 256 ? ok(std::string(64, 'a'), domain) : err(AddressError::too_long));
  }
  // The source route counts towards the path length too.
  const std::string mailbox = std::string(64, 'a') + "@" + labels(150, 'd');
  const std::string route = "@" + labels(256 - 2 - mailbox.size() - 2, 'r') + ":";
  EXPECT_TRUE(parse_path("<" + route + mailbox + ">", kRcpt));
  EXPECT_EQ(outcome(parse_path("<@x" + route + mailbox + ">", kRcpt)), err(AddressError::too_long));
}

TEST(AddressLimits, MailboxAt253To255) {
  for (const size_t n : {253u, 254u, 255u}) {
    SCOPED_TRACE(n);
    const std::string mailbox = "a@" + labels(n - 2, 'd');
    ASSERT_EQ(mailbox.size(), n);
    EXPECT_EQ(parse_mailbox(mailbox, false).has_value(), n <= 254);
  }
  EXPECT_EQ(parse_mailbox("a@" + labels(253, 'd'), false).error(), AddressError::too_long);
}

TEST(AddressLimits, DomainAt254To256) {
  for (const size_t n : {254u, 255u, 256u}) {
    SCOPED_TRACE(n);
    const std::string domain = labels(n, 'D');
    ASSERT_EQ(domain.size(), n);
    const auto r = domain_to_ascii(domain);
    if (n <= 255) {
      ASSERT_TRUE(r);
      EXPECT_EQ(*r, ascii_lower(domain));
    } else {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error(), AddressError::too_long);
    }
  }
}

TEST(AddressLimits, LabelAt62To64) {
  for (const size_t n : {62u, 63u, 64u}) {
    SCOPED_TRACE(n);
    const auto r = parse_path("<u@" + std::string(n, 'x') + ".example>", kRcpt);
    EXPECT_EQ(outcome(r),
              n <= 63 ? ok("u", std::string(n, 'x') + ".example") : err(AddressError::bad_domain));
  }
}

// "aü" is 3 octets as a U-label but 9 as an A-label ("xn--a-tda"): the path as it would be
// sent on must still fit in 256 octets.
TEST(AddressLimits, ALabelExpansionCountsTowardsPath) {
  for (const size_t k : {18u, 19u, 20u}) {
    SCOPED_TRACE(k);
    std::string domain;
    for (size_t i = 0; i < k; ++i) domain += (i ? ".aü" : "aü");
    const auto r = parse_path("<" + std::string(64, 'a') + "@" + domain + ">", kUtf8);
    ASSERT_EQ(r.has_value(), k <= 19);
    if (r) {
      EXPECT_EQ(r->str().size() + 2, 66 + 10 * k);
    } else {
      EXPECT_EQ(r.error(), AddressError::too_long);
    }
  }
}

TEST(AddressDomainToAscii, Conversions) {
  struct D {
    std::string in;
    std::string out;  // "" means an error is expected
    AddressError error = AddressError::syntax;
  };
  const std::vector<D> cases = {
      {"Example.COM", "example.com"},
      {"bücher.example", "xn--bcher-kva.example"},
      {"BÜCHER.example", "xn--bcher-kva.example"},
      {"例え.example", "xn--r8jz45g.example"},
      {"straße.de", "xn--strae-oqa.de"},  // non-transitional: ß kept
      {"xn--bcher-kva.example", "xn--bcher-kva.example"},
      {"r3---sn-abc.example", "r3---sn-abc.example"},
      {"", "", AddressError::syntax},
      {"example.com.", "", AddressError::syntax},
      {".example.com", "", AddressError::syntax},
      {"a..b", "", AddressError::syntax},
      {"a_b.example", "", AddressError::syntax},
      {"a b.example", "", AddressError::syntax},
      {"[192.0.2.1]", "", AddressError::syntax},
      {"ex\xff.com", "", AddressError::syntax},
      {"xn--zz.example", "", AddressError::bad_domain},
      {"xn--bcher-kva-.example", "", AddressError::bad_domain},
      {"\xd9\xa3.example", "", AddressError::bad_domain},  // Arabic-Indic digit alone: bidi
      {std::string(64, 'a') + ".example", "", AddressError::bad_domain},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    const auto r = domain_to_ascii(c.in);
    if (!c.out.empty()) {
      ASSERT_TRUE(r) << describe(r.error());
      EXPECT_EQ(*r, c.out);
    } else {
      ASSERT_FALSE(r) << *r;
      EXPECT_EQ(r.error(), c.error);
    }
  }
}

TEST(AddressStr, QuotesOnlyWhenNeeded) {
  struct S {
    Address a;
    std::string expected;
  };
  const std::vector<S> cases = {
      {{"info", "example.com"}, "info@example.com"},
      {{"a.b", "example.com"}, "a.b@example.com"},
      {{"a b", "example.com"}, "\"a b\"@example.com"},
      {{"a\"b", "example.com"}, "\"a\\\"b\"@example.com"},
      {{"a\\b", "example.com"}, "\"a\\\\b\"@example.com"},
      {{".a", "example.com"}, "\".a\"@example.com"},
      {{"a.", "example.com"}, "\"a.\"@example.com"},
      {{"a..b", "example.com"}, "\"a..b\"@example.com"},
      {{"user@other.example", "example.com"}, "\"user@other.example\"@example.com"},
      {{"", "example.com"}, "\"\"@example.com"},
      {{"ü", "xn--r8jz45g.example", true}, "ü@xn--r8jz45g.example"},
      {{"u", "[192.0.2.1]"}, "u@[192.0.2.1]"},
      {{"postmaster", ""}, "postmaster"},
      {{"", ""}, ""},
      {{"a\r\nb", "example.com"}, "\"a??b\"@example.com"},  // never emits CR/LF
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected);
    EXPECT_EQ(c.a.str(), c.expected);
  }
}

TEST(AddressStr, RoundTripsThroughParsePath) {
  const std::vector<std::string> paths = {
      "<user@example.com>", "<\"a b\"@example.com>",    "<\"a\\\"b\\\\c\"@example.com>",
      "<\"\"@example.com>", "<\"info\"@Example.com>",   "<@r.example:x@[IPv6:2001:db8::1]>",
      "<ü@例え.example>",   "<\"ü .\"@bücher.example>", "<\"user@other.example\"@example.com>",
  };
  for (const auto& p : paths) {
    SCOPED_TRACE(p);
    const auto a = parse_path(p, kUtf8);
    ASSERT_TRUE(a);
    const auto b = parse_path("<" + a->str() + ">", kUtf8);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->local, a->local);
    EXPECT_EQ(b->domain, a->domain);
    EXPECT_EQ(b->utf8_local, a->utf8_local);
    EXPECT_EQ(outcome(parse_mailbox(a->str(), true)), outcome(a));
  }
}

TEST(AddressParseMailbox, BareMailboxes) {
  EXPECT_EQ(outcome(parse_mailbox("dest@example.net", false)), ok("dest", "example.net"));
  EXPECT_EQ(outcome(parse_mailbox("Dest@Bücher.example", true)),
            ok("Dest", "xn--bcher-kva.example"));
  EXPECT_EQ(outcome(parse_mailbox("dest@bücher.example", false)),
            err(AddressError::utf8_not_allowed));
  EXPECT_EQ(outcome(parse_mailbox("<dest@example.net>", false)), err(AddressError::syntax));
  EXPECT_EQ(outcome(parse_mailbox("@a.example:dest@example.net", false)),
            err(AddressError::syntax));
  EXPECT_EQ(outcome(parse_mailbox("", false)), err(AddressError::syntax));
  EXPECT_EQ(outcome(parse_mailbox("dest", false)), err(AddressError::syntax));
  EXPECT_EQ(outcome(parse_mailbox("dest@example.net.", false)), err(AddressError::syntax));
}

TEST(AddressHelpers, CaseInsensitiveAsciiOnly) {
  EXPECT_TRUE(local_parts_equal("Info", "iNFO"));
  EXPECT_TRUE(local_parts_equal("", ""));
  EXPECT_FALSE(local_parts_equal("info", "info2"));
  EXPECT_FALSE(local_parts_equal("info", ""));
  EXPECT_TRUE(local_parts_equal("ü", "ü"));
  EXPECT_FALSE(local_parts_equal("ü", "Ü"));  // non-ASCII octets compare exactly
  EXPECT_EQ(ascii_lower("AbC-Ü"), "abc-Ü");
  EXPECT_EQ(ascii_lower(""), "");
}

TEST(AddressHelpers, DescribeIsDistinct) {
  const std::vector<AddressError> all = {AddressError::syntax, AddressError::too_long,
                                         AddressError::utf8_not_allowed, AddressError::bad_domain};
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_FALSE(describe(all[i]).empty());
    for (size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(describe(all[i]), describe(all[j]));
  }
}

TEST(AddressNull, NullAndPostmaster) {
  const auto null = parse_path("<>", kMail);
  ASSERT_TRUE(null);
  EXPECT_TRUE(null->is_null());
  EXPECT_EQ(null->str(), "");
  const auto pm = parse_path("<POSTMASTER>", kPostmaster);
  ASSERT_TRUE(pm);
  EXPECT_FALSE(pm->is_null());
  EXPECT_EQ(pm->str(), "postmaster");
}

// RFC 5321 §2.4: domains compare without case, but a forwarder passes an address on as it was
// written; the spelling is kept beside the lowercase form used for every comparison.
TEST(AddressDomainAsSent, KeptOnlyWhenItDiffersInCase) {
  auto a = parse_mailbox("Alice@Example.COM", false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->domain, "example.com");
  EXPECT_EQ(a->domain_as_sent, "Example.COM");
  EXPECT_EQ(a->str(), "Alice@example.com");
  EXPECT_EQ(a->str_as_sent(), "Alice@Example.COM");
  auto b = parse_mailbox("alice@example.com", false);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->domain_as_sent, "");
  EXPECT_EQ(b->str_as_sent(), "alice@example.com");
  // A U-label becomes an A-label: no spelling to keep.
  auto c = parse_mailbox("u@B\xc3\xbc" "cher.example", true);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->domain, "xn--bcher-kva.example");
  EXPECT_EQ(c->domain_as_sent, "");
  auto q = parse_mailbox("\"a b\"@Example.COM", false);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->str_as_sent(), "\"a b\"@Example.COM");
}

}  // namespace
}  // namespace hikyaku::core

namespace hikyaku::core {
namespace {

TEST(LowercaseHostname, LabelAndNameLengthBoundaries) {
  EXPECT_TRUE(is_lowercase_hostname("mail.example.com"));
  EXPECT_TRUE(is_lowercase_hostname("a-b.x1"));
  EXPECT_TRUE(is_lowercase_hostname(std::string(63, 'a') + ".example"));
  EXPECT_FALSE(is_lowercase_hostname(std::string(64, 'a') + ".example"));
  std::string name;
  while (name.size() < 253) name += (name.empty() ? "" : ".") + std::string(std::min<size_t>(63, 252 - name.size()), 'b');
  ASSERT_EQ(name.size(), 253u);
  EXPECT_TRUE(is_lowercase_hostname(name));
  EXPECT_FALSE(is_lowercase_hostname(name + "c"));
  for (const char* bad : {"", ".", "a..b", ".a", "a.", "-a.b", "a-.b", "A.example", "a_b.example", "a b"}) {
    EXPECT_FALSE(is_lowercase_hostname(bad)) << bad;
  }
}

}  // namespace
}  // namespace hikyaku::core
