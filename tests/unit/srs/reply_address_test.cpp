// Reply addresses of a rewritten From: exact encoding, round trips, case folding, forged and
// expired addresses, secret rotation, and the 64-octet local part at its exact boundary.
#include <gtest/gtest.h>

#include "srs/reply_address.hpp"

namespace hikyaku::srs {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

const sys_days kToday = sys_days{days{20000}};
const std::vector<std::string> kSecrets = {"new-secret", "old-secret"};

core::Address mailbox(const std::string& text) { return *core::parse_mailbox(text, true); }

core::Address make(const std::string& author, sys_days day = kToday,
                   const std::vector<std::string>& secrets = kSecrets) {
  auto a = make_reply_address(mailbox(author), secrets, "fwd.example.net", day);
  EXPECT_TRUE(a.has_value()) << author;
  return a ? *a : core::Address{};
}

TEST(ReplyAddress, EncodesTagHashStampHostAndUser) {
  const core::Address a = make("alice@example.org");
  EXPECT_EQ(a.domain, "fwd.example.net");
  // FR=HHHHHHHH=TT=example.org=alice; the stamp is SRS's day stamp (day 20000 mod 1024 = 544).
  ASSERT_EQ(a.local.size(), kReplyOverhead + std::string("example.orgalice").size());
  EXPECT_EQ(a.local.substr(0, 3), "FR=");
  EXPECT_EQ(a.local.substr(11), "=RA=example.org=alice");
  for (char c : a.local.substr(3, 8)) EXPECT_NE(std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567").find(c), std::string::npos);
  // Deterministic for the same input and day, different for another day or author.
  EXPECT_EQ(make("alice@example.org").local, a.local);
  EXPECT_NE(make("alice@example.org", kToday + days{1}).local.substr(3, 8), a.local.substr(3, 8));
  EXPECT_NE(make("alicf@example.org").local.substr(3, 8), a.local.substr(3, 8));
}

TEST(ReplyAddress, RoundTripsWithinMaxAge) {
  for (const char* author : {"alice@example.org", "a.b-c+tag@sub.example.co.uk", "x=y@example.org",
                             "o'neil@example.org", "Bob.Smith@Example.ORG"}) {
    const core::Address a = make(author);
    for (int age : {0, 1, 89, 90}) {
      auto back = decode_reply_address(a, kSecrets, kToday + days{age}, 90);
      ASSERT_TRUE(back.has_value()) << author << " age " << age;
      EXPECT_EQ(back->str(), mailbox(author).str()) << author;
    }
  }
}

TEST(ReplyAddress, ExpiresTheDayAfterMaxAgeAndRefusesFutureStamps) {
  const core::Address a = make("alice@example.org");
  EXPECT_TRUE(decode_reply_address(a, kSecrets, kToday + days{89}, 90).has_value());
  EXPECT_TRUE(decode_reply_address(a, kSecrets, kToday + days{90}, 90).has_value());
  auto late = decode_reply_address(a, kSecrets, kToday + days{91}, 90);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error(), ReplyError::expired);
  auto early = decode_reply_address(a, kSecrets, kToday - days{1}, 90);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error(), ReplyError::expired);
}

TEST(ReplyAddress, LetterCaseChangedOnTheWayStillDecodes) {
  core::Address a = make("alice@example.org");
  core::Address lower = a, upper = a;
  for (char& c : lower.local) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : upper.local) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto l = decode_reply_address(lower, kSecrets, kToday, 90);
  auto u = decode_reply_address(upper, kSecrets, kToday, 90);
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(l->str(), "alice@example.org");
  EXPECT_EQ(u->str(), "ALICE@example.org");  // the domain is lowercased, the local part as received
}

TEST(ReplyAddress, ForgedOrDamagedHashIsRefused) {
  const core::Address a = make("alice@example.org");
  // Another user or host under the same hash.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"=alice", "=mallory"}, {"=example.org=", "=evil.example="}}) {
    core::Address f = a;
    f.local.replace(f.local.find(from), from.size(), to);
    auto r = decode_reply_address(f, kSecrets, kToday, 90);
    ASSERT_FALSE(r.has_value()) << f.local;
    EXPECT_EQ(r.error(), ReplyError::bad_hash);
  }
  // Each hash character changed in turn.
  for (size_t i = 3; i < 11; ++i) {
    core::Address f = a;
    f.local[i] = f.local[i] == 'A' ? 'B' : 'A';
    auto r = decode_reply_address(f, kSecrets, kToday, 90);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), ReplyError::bad_hash);
  }
  // Signed with a secret we do not hold.
  const core::Address stranger = make("alice@example.org", kToday, {"someone-else"});
  auto r = decode_reply_address(stranger, kSecrets, kToday, 90);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), ReplyError::bad_hash);
}

TEST(ReplyAddress, RotationVerifiesWithEverySecretAndSignsWithTheFirst) {
  const core::Address old = make("alice@example.org", kToday, {"old-secret"});
  EXPECT_TRUE(decode_reply_address(old, kSecrets, kToday, 90).has_value());
  EXPECT_FALSE(decode_reply_address(old, {"new-secret"}, kToday, 90).has_value());
  EXPECT_EQ(make("alice@example.org").local, make("alice@example.org", kToday, {"new-secret"}).local);
}

TEST(ReplyAddress, MalformedAndForeignLocalPartsAreToldApart) {
  const auto decode = [](const std::string& local) {
    core::Address a;
    a.local = local;
    a.domain = "fwd.example.net";
    return decode_reply_address(a, kSecrets, kToday, 90);
  };
  EXPECT_EQ(decode("alice").error(), ReplyError::not_reply);
  EXPECT_EQ(decode("SRS0=abcd=RA=example.org=alice").error(), ReplyError::not_reply);
  EXPECT_EQ(decode("FR").error(), ReplyError::not_reply);
  EXPECT_EQ(decode("FR=").error(), ReplyError::bad_syntax);
  EXPECT_EQ(decode("FR=AAAAAAAA=RA=example.org").error(), ReplyError::bad_syntax);     // no user
  EXPECT_EQ(decode("FR=AAAAAAAA=RA=example.org=").error(), ReplyError::bad_syntax);    // empty user
  EXPECT_EQ(decode("FR=AAAAAAAA=RA==alice").error(), ReplyError::bad_syntax);          // empty host
  EXPECT_EQ(decode("FR=AAAAAAA=RA=example.org=alice").error(), ReplyError::bad_syntax);  // 7-char hash
  EXPECT_EQ(decode("FR=AAAAAAAA=R1=example.org=alice").error(), ReplyError::bad_syntax);  // bad stamp
  EXPECT_EQ(decode("FR=AAAAAAAA=RA=example.org=alice").error(), ReplyError::bad_hash);
  EXPECT_TRUE(is_reply_address("fr=x"));
  EXPECT_FALSE(is_reply_address("fred"));
  core::Address none;
  none.local = "FR=x";
  EXPECT_EQ(decode_reply_address(none, {}, kToday, 90).error(), ReplyError::no_key);
}

TEST(ReplyAddress, LocalPartOf64OctetsAtTheExactBoundary) {
  // host + user = 48 octets fits (64 with our 16); 49 does not.
  const std::string host = "example.org";  // 11
  const std::string user47(47 - host.size() + 1, 'u');  // host + user = 48
  const auto fits = make_reply_address(mailbox(user47 + "@" + host), kSecrets, "fwd.example.net", kToday);
  ASSERT_TRUE(fits.has_value());
  EXPECT_EQ(fits->local.size(), 64u);
  EXPECT_TRUE(decode_reply_address(*fits, kSecrets, kToday, 90).has_value());
  const auto under = make_reply_address(mailbox(user47.substr(1) + "@" + host), kSecrets, "fwd.example.net", kToday);
  ASSERT_TRUE(under.has_value());
  EXPECT_EQ(under->local.size(), 63u);
  const auto over = make_reply_address(mailbox(user47 + "u@" + host), kSecrets, "fwd.example.net", kToday);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error(), ReplyError::too_long);
  // A 65-octet local part is refused on decoding too.
  core::Address long_one = *fits;
  long_one.local += "u";
  EXPECT_EQ(decode_reply_address(long_one, kSecrets, kToday, 90).error(), ReplyError::bad_syntax);
}

TEST(ReplyAddress, AuthorsThatCannotBeEncodedAreRefused) {
  EXPECT_EQ(make_reply_address(mailbox("\"john doe\"@example.org"), kSecrets, "fwd.example.net", kToday).error(),
            ReplyError::unencodable);
  EXPECT_EQ(make_reply_address(mailbox("用户@example.org"), kSecrets, "fwd.example.net", kToday).error(),
            ReplyError::unencodable);
  EXPECT_EQ(make_reply_address(core::Address{}, kSecrets, "fwd.example.net", kToday).error(), ReplyError::unencodable);
  EXPECT_EQ(make_reply_address(mailbox("alice@example.org"), {}, "fwd.example.net", kToday).error(), ReplyError::no_key);
}

}  // namespace
}  // namespace hikyaku::srs
