// Unit tests for srs/: SRS0/SRS1 round trips, key rotation, case-insensitivity, both base64
// alphabets, the age window at its exact boundary, forged hashes, the SRS1 chain across three
// forwarders, and the RFC 5321 §4.5.3.1.1 64-octet local-part limit at 64 and 65.
#include "srs/srs.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <string>

#include "core/address.hpp"
#include "core/ascii.hpp"
#include "srs/hash.hpp"

namespace hikyaku::srs {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

const sys_days kToday{days{18262}};  // 2020-01-01, timestamp "2W"
const SrsKeys kKeys{{"tops3cr3t"}};

core::Address addr(std::string local, std::string domain) {
  core::Address a;
  a.local = std::move(local);
  a.domain = std::move(domain);
  for (unsigned char c : a.local) a.utf8_local = a.utf8_local || c >= 0x80;
  return a;
}

core::Address fwd(const core::Address& a, const SrsKeys& k = kKeys, const char* d = "fwd.example",
                  sys_days day = kToday) {
  auto r = forward(a, k, d, day);
  EXPECT_TRUE(r.has_value()) << a.str();
  return r ? *r : core::Address{};
}

TEST(SrsPrimitives, TimestampAndHashMatchTheWorkedExample) {
  EXPECT_EQ(detail::encode_timestamp(kToday), "2W");
  EXPECT_EQ(detail::decode_timestamp("2w"), 854);
  EXPECT_EQ(detail::decode_timestamp("2W1"), std::nullopt);
  EXPECT_EQ(detail::decode_timestamp("2"), std::nullopt);
  EXPECT_EQ(detail::decode_timestamp("1A"), std::nullopt);  // '1' is not base32
  EXPECT_EQ(detail::make_hash("tops3cr3t", {"2W", "otherdomain.com", "test"}), "vmyz");
  // Upper-case fields hash like lower-case ones.
  EXPECT_EQ(detail::make_hash("tops3cr3t", {"2w", "OTHERDOMAIN.COM", "TEST"}), "vmyz");
  EXPECT_EQ(detail::make_hash("tops3cr3t", {"2W", "somedomain.com", "hash234"}), "-3_5");
}

TEST(SrsForward, RoundTripsOrdinaryAndUnusualSenders) {
  for (const auto& a : {addr("test", "otherdomain.com"), addr("Mixed.Case", "x.example"),
                        addr("a=b=c", "x.example"), addr("a b", "x.example"),
                        addr("j\xc3\xbcrgen", "x.example"), addr("user+tag", "[192.0.2.1]")}) {
    const auto s = fwd(a);
    EXPECT_TRUE(is_srs(s.local)) << s.str();
    EXPECT_EQ(s.domain, "fwd.example");
    const auto back = reverse(s, kKeys, kToday);
    ASSERT_TRUE(back.has_value()) << s.str();
    EXPECT_EQ(back->local, a.local);
    EXPECT_EQ(back->domain, a.domain);
    EXPECT_EQ(back->utf8_local, a.utf8_local);
  }
}

TEST(SrsForward, SenderAlreadyInSrsDomainIsUnchanged) {
  for (const auto& a : {addr("test", "fwd.example"), addr("SRS0=XjO9=2V=o.example=t", "fwd.example")}) {
    const auto r = forward(a, kKeys, "FWD.Example", kToday);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->str(), a.str());
  }
}

TEST(SrsForward, RefusesWhatItCannotRewrite) {
  EXPECT_EQ(forward(core::Address{}, kKeys, "fwd.example", kToday).error(), SrsError::bad_syntax);
  EXPECT_EQ(forward(addr("postmaster", ""), kKeys, "fwd.example", kToday).error(), SrsError::bad_syntax);
  // ""@host is a valid RFC 5321 mailbox, but "SRS0=h=tt=host=" could never be reversed.
  EXPECT_EQ(forward(addr("", "x.example"), kKeys, "fwd.example", kToday).error(), SrsError::bad_syntax);
  EXPECT_EQ(forward(addr("a", "x.example"), SrsKeys{}, "fwd.example", kToday).error(), SrsError::no_key);
  EXPECT_EQ(forward(addr("a", "x.example"), kKeys, "bad domain", kToday).error(), SrsError::bad_syntax);
  // SRS1 without the first forwarder's host or opaque part (libsrs2 ENOSRS1HOST/USER).
  EXPECT_EQ(forward(addr("SRS1=abcd", "x.example"), kKeys, "fwd.example", kToday).error(), SrsError::bad_syntax);
  EXPECT_EQ(forward(addr("SRS1=abcd=h.example", "x.example"), kKeys, "fwd.example", kToday).error(),
            SrsError::bad_syntax);
  EXPECT_EQ(forward(addr("SRS1=abcd=h.example=", "x.example"), kKeys, "fwd.example", kToday).error(),
            SrsError::bad_syntax);
  // A first-forwarder host that is not a domain could never be reversed.
  EXPECT_EQ(forward(addr("SRS1=abcd=h_x.example==u", "x.example"), kKeys, "fwd.example", kToday).error(),
            SrsError::bad_syntax);
}

TEST(SrsForward, LocalPartLimitAt64And65) {
  // "SRS0=HHHH=2W=" (13) + "h.example" (9) + "=" (1) + user: 41 octets of user make 64.
  const auto ok = forward(addr(std::string(41, 'u'), "h.example"), kKeys, "fwd.example", kToday);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->local.size(), 64u);
  EXPECT_TRUE(core::parse_path("<" + ok->str() + ">", {}).has_value());
  const auto over = forward(addr(std::string(42, 'u'), "h.example"), kKeys, "fwd.example", kToday);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error(), SrsError::too_long);
  // SRS0 -> SRS1: "SRS1=HHHH=" (10) + "h.example" (9) + "=" + "=x..." : 64 then 65.
  const auto srs1_ok = forward(addr("SRS0=" + std::string(43, 'x'), "h.example"), kKeys, "fwd.example", kToday);
  ASSERT_TRUE(srs1_ok.has_value());
  EXPECT_EQ(srs1_ok->local.size(), 64u);
  EXPECT_EQ(forward(addr("SRS0=" + std::string(44, 'x'), "h.example"), kKeys, "fwd.example", kToday).error(),
            SrsError::too_long);
}

TEST(SrsReverse, KeyRotationFirstSignsAllVerify) {
  const SrsKeys old_only{{"old-secret"}};
  const SrsKeys rotated{{"new-secret", "old-secret"}};
  const SrsKeys new_only{{"new-secret"}};
  const auto a = addr("alice", "origin.example");
  const auto signed_old = fwd(a, old_only);
  EXPECT_TRUE(reverse(signed_old, rotated, kToday).has_value());
  EXPECT_EQ(reverse(signed_old, new_only, kToday).error(), SrsError::bad_hash);
  const auto signed_new = fwd(a, rotated);
  EXPECT_NE(signed_new.local, signed_old.local);  // the first secret signs
  EXPECT_TRUE(reverse(signed_new, new_only, kToday).has_value());
  EXPECT_EQ(reverse(signed_new, old_only, kToday).error(), SrsError::bad_hash);
  EXPECT_EQ(reverse(signed_new, SrsKeys{}, kToday).error(), SrsError::no_key);
}

TEST(SrsReverse, CaseInsensitiveEverywhere) {
  const auto s = fwd(addr("Bob", "Origin.example"));
  for (auto variant : {s.local, core::ascii_lower(s.local)}) {
    std::string upper = variant;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const auto& v : {variant, upper}) {
      const auto r = reverse(addr(v, "FWD.EXAMPLE"), kKeys, kToday);
      ASSERT_TRUE(r.has_value()) << v;
      EXPECT_TRUE(core::ascii_iequals(r->local, "bob"));
      EXPECT_EQ(r->domain, "origin.example");
    }
  }
  EXPECT_TRUE(is_srs("srs0=x") && is_srs("SrS1=x") && is_srs("SRS0-x") && is_srs("SRS0+x"));
  EXPECT_FALSE(is_srs("SRS0") || is_srs("SRS2=x") || is_srs("SRS0x=") || is_srs("xSRS0=") || is_srs(""));
}

TEST(SrsReverse, AcceptsBothBase64Alphabets) {
  const auto s = fwd(addr("hash234", "somedomain.com"), kKeys, "example.com");
  EXPECT_EQ(s.local, "SRS0=-3_5=2W=somedomain.com=hash234");  // base64url is emitted
  for (const char* h : {"-3_5", "+3/5", "-3/5", "+3_5"}) {
    const auto r = reverse(addr(std::string("SRS0=") + h + "=2W=somedomain.com=hash234", "example.com"), kKeys, kToday);
    ASSERT_TRUE(r.has_value()) << h;
    EXPECT_EQ(r->str(), "hash234@somedomain.com");
  }
  // The alphabets are not mixed up with other characters.
  EXPECT_EQ(reverse(addr("SRS0=.3_5=2W=somedomain.com=hash234", "example.com"), kKeys, kToday).error(),
            SrsError::bad_hash);
}

TEST(SrsReverse, AgeWindowAtItsBoundary) {
  const auto s = fwd(addr("carol", "origin.example"));
  for (int max_age : {21, 5, 0}) {
    EXPECT_TRUE(reverse(s, kKeys, kToday + days{max_age - 1}, max_age).has_value() || max_age == 0);
    EXPECT_TRUE(reverse(s, kKeys, kToday + days{max_age}, max_age).has_value()) << max_age;
    const auto late = reverse(s, kKeys, kToday + days{max_age + 1}, max_age);
    ASSERT_FALSE(late.has_value()) << max_age;
    EXPECT_EQ(late.error(), SrsError::expired);
  }
  EXPECT_TRUE(reverse(s, kKeys, kToday).has_value());  // default max age 21
  EXPECT_TRUE(reverse(s, kKeys, kToday + days{21}).has_value());
  EXPECT_EQ(reverse(s, kKeys, kToday + days{22}).error(), SrsError::expired);
  // Stamped tomorrow (a clock ahead of ours): refused, as libsrs2 does.
  EXPECT_EQ(reverse(s, kKeys, kToday - days{1}).error(), SrsError::expired);
  // The stamp wraps every 1024 days: day slot 1023 signed, checked the next day (slot 0).
  const sys_days wrap{days{1023 * 1 + 1024 * 17}};
  const auto w = fwd(addr("dave", "origin.example"), kKeys, "fwd.example", wrap);
  EXPECT_TRUE(reverse(w, kKeys, wrap + days{1}).has_value());
  EXPECT_EQ(reverse(w, kKeys, wrap + days{22}).error(), SrsError::expired);
}

TEST(SrsReverse, ForgedOrDamagedAddressesAreRefused) {
  const std::string good = fwd(addr("erin", "origin.example")).local;  // SRS0=HHHH=2W=origin.example=erin
  std::string flipped = good;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(reverse(addr(flipped, "fwd.example"), kKeys, kToday).error(), SrsError::bad_hash);
  const std::string hash = good.substr(5, 4);
  // The same hash over another host or user (redirecting the bounce) does not verify.
  EXPECT_EQ(reverse(addr("SRS0=" + hash + "=2W=evil.example=erin", "f.example"), kKeys, kToday).error(),
            SrsError::bad_hash);
  EXPECT_EQ(reverse(addr("SRS0=" + hash + "=2W=origin.example=mallory", "f.example"), kKeys, kToday).error(),
            SrsError::bad_hash);
  EXPECT_EQ(reverse(addr("SRS0=" + hash.substr(0, 3) + "=2W=origin.example=erin", "f.example"), kKeys, kToday)
                .error(),
            SrsError::bad_hash);  // shorter than the 4-character minimum
  // A longer hash is compared on its first 4 characters (libsrs2).
  EXPECT_TRUE(reverse(addr("SRS0=" + hash + "zz=2W=origin.example=erin", "f.example"), kKeys, kToday).has_value());
  for (const char* bad : {"SRS0=", "SRS0=abcd", "SRS0=abcd=2W", "SRS0=abcd=2W=h.example", "SRS0==2W=h.example=u",
                          "SRS0=abcd==h.example=u", "SRS0=abcd=2W==u", "SRS0=abcd=2W=h.example=",
                          "SRS0=abcd=1!=h.example=u", "SRS0=abcd=2WA=h.example=u", "SRS1=", "SRS1=abcd",
                          "SRS1=abcd=h.example", "SRS1=abcd==x", "SRS1=abcd=h.example="}) {
    const auto r = reverse(addr(bad, "f.example"), kKeys, kToday);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error(), SrsError::bad_syntax) << bad;
  }
  for (const char* not_ours : {"erin", "SRS2=a=b", "SRS0", "SRSO=abcd=2W=h=u"}) {
    EXPECT_EQ(reverse(addr(not_ours, "f.example"), kKeys, kToday).error(), SrsError::not_srs) << not_ours;
  }
  // A correctly signed address whose host is not a domain still yields no address.
  const std::string h = detail::make_hash("tops3cr3t", {"2W", "bad host", "u"});
  EXPECT_EQ(reverse(addr("SRS0=" + h + "=2W=bad host=u", "f.example"), kKeys, kToday).error(), SrsError::bad_syntax);
  // ... and one whose reversed local part is over 64 octets is too_long.
  const std::string user(65, 'u');
  const std::string h2 = detail::make_hash("tops3cr3t", {"2W", "h.example", user});
  EXPECT_EQ(reverse(addr("SRS0=" + h2 + "=2W=h.example=" + user, "f.example"), kKeys, kToday).error(),
            SrsError::too_long);
}

// [srs] hash_length: 4 (libsrs2) to 10 characters emitted, each read back; 3 and 11 refused.
TEST(SrsHashLength, EveryLengthFromFourToTenRoundTripsAndTheEdgesAreRefused) {
  const auto sender = addr("grace", "origin.example");
  for (std::size_t length = 4; length <= 10; ++length) {
    const SrsKeys keys({"tops3cr3t"}, length, false);
    const auto s = fwd(sender, keys);
    const auto fields = s.local.substr(5);  // after "SRS0="
    EXPECT_EQ(fields.find('='), length) << s.local;
    const auto back = reverse(s, keys, kToday);
    ASSERT_TRUE(back.has_value()) << s.local;
    EXPECT_EQ(back->str(), "grace@origin.example");
    // The longer hash extends libsrs2's 4 characters (the same MAC, more of it).
    EXPECT_EQ(fields.substr(0, 4), fwd(sender).local.substr(5, 4));
  }
  for (const std::size_t bad : {std::size_t{3}, std::size_t{11}}) {
    const auto r = forward(sender, SrsKeys({"tops3cr3t"}, bad), "fwd.example", kToday);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error(), SrsError::no_key);
  }
  // A shorter hash than configured is refused; a longer one is compared on hash_length.
  const SrsKeys six({"tops3cr3t"}, 6, false);
  const std::string good = fwd(sender, six).local;  // SRS0=HHHHHH=2W=origin.example=grace
  const std::string rest = good.substr(11);         // "=2W=origin.example=grace"
  EXPECT_EQ(reverse(addr(good.substr(0, 10) + rest, "fwd.example"), six, kToday).error(),
            SrsError::bad_hash);  // 5 characters
  EXPECT_TRUE(reverse(addr(good.substr(0, 11) + "Zz" + rest, "fwd.example"), six, kToday).has_value());
  // SRS1 (no timestamp) uses the same length.
  const auto srs1 = fwd(addr("SRS0=abcd=2W=origin.example=grace", "first.example"), six, "second.example");
  EXPECT_EQ(srs1.local.find('=', 5), 11u) << srs1.local;
  EXPECT_TRUE(reverse(srs1, six, kToday).has_value());
}

// Longer hashes keep their case: a changed letter case is a forgery. 4-character hashes (libsrs2,
// Mail::SRS) are read ignoring case, as before.
TEST(SrsHashLength, LongerHashesAreCaseSensitiveFourCharacterOnesAreNot) {
  const SrsKeys six({"tops3cr3t"}, 6, false);
  int letters = 0;
  for (const char* user : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
    const std::string good = fwd(addr(user, "origin.example"), six).local;
    ASSERT_TRUE(reverse(addr(good, "fwd.example"), six, kToday).has_value()) << good;
    for (std::size_t i = 5; i < 11; ++i) {
      const char c = good[i];
      if (!std::isalpha(static_cast<unsigned char>(c))) continue;
      ++letters;
      std::string flipped = good;
      flipped[i] = std::islower(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c))
                                                              : static_cast<char>(std::tolower(c));
      EXPECT_EQ(reverse(addr(flipped, "fwd.example"), six, kToday).error(), SrsError::bad_hash) << flipped;
    }
    // The rest of the address (tag, stamp, host, user) is still read in any case.
    std::string upper = good.substr(0, 11);
    for (std::size_t i = 11; i < good.size(); ++i) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(good[i])));
    upper[0] = 's';
    EXPECT_TRUE(reverse(addr(upper, "FWD.example"), six, kToday).has_value()) << upper;
  }
  EXPECT_GT(letters, 10);  // the loop above did test something
  const SrsKeys four({"tops3cr3t"}, 4, false);
  const std::string legacy = fwd(addr("Bob", "origin.example"), four).local;
  EXPECT_TRUE(reverse(addr(core::ascii_lower(legacy), "fwd.example"), four, kToday).has_value());
}

// After raising hash_length, addresses written with 4 characters still come back (case ignored
// as before) while accept_legacy_hash is on, and until they expire; with it off they are refused.
TEST(SrsHashLength, LegacyFourCharacterHashesUntilTheyExpireOrAreTurnedOff) {
  const auto sender = addr("heidi", "origin.example");
  const std::string legacy = fwd(sender).local;  // 4 characters, written before the change
  ASSERT_EQ(legacy.find('=', 5), 9u);
  const SrsKeys raised({"tops3cr3t"}, 6, true);
  const SrsKeys strict({"tops3cr3t"}, 6, false);
  for (const auto& spelling : {legacy, core::ascii_lower(legacy)}) {
    const auto back = reverse(addr(spelling, "fwd.example"), raised, kToday);
    ASSERT_TRUE(back.has_value()) << spelling;
    EXPECT_EQ(back->str(), "heidi@origin.example");
    EXPECT_EQ(reverse(addr(spelling, "fwd.example"), strict, kToday).error(), SrsError::bad_hash);
  }
  EXPECT_TRUE(reverse(addr(legacy, "fwd.example"), raised, kToday + days{21}).has_value());
  EXPECT_EQ(reverse(addr(legacy, "fwd.example"), raised, kToday + days{22}).error(), SrsError::expired);
  // A forged 4-character hash is still a forgery.
  std::string forged = legacy;
  forged[5] = forged[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(reverse(addr(forged, "fwd.example"), raised, kToday).error(), SrsError::bad_hash);
  // What we write now is 6 characters.
  EXPECT_EQ(fwd(sender, raised).local.find('=', 5), 11u);
}

TEST(SrsChain, ThreeForwardersAndBack) {
  const SrsKeys ka{{"key-a"}}, kb{{"key-b"}}, kc{{"key-c"}};
  const auto original = addr("frank", "origin.example");
  const auto at_a = fwd(original, ka, "a.example");            // SRS0=..@a.example
  const auto at_b = fwd(at_a, kb, "b.example");                // SRS1=HHHH=a.example==HHHH=..@b.example
  const auto at_c = fwd(at_b, kc, "c.example");                // SRS1 re-signed, still naming a.example
  EXPECT_TRUE(at_b.local.rfind("SRS1=", 0) == 0) << at_b.str();
  EXPECT_NE(at_b.local.find("=a.example=="), std::string::npos) << at_b.str();
  EXPECT_EQ(at_c.local.substr(9), at_b.local.substr(9));      // only the hash changed
  EXPECT_NE(at_c.local.substr(5, 4), at_b.local.substr(5, 4));
  EXPECT_EQ(at_c.domain, "c.example");
  // A bounce reaches C: it goes straight back to A (SRS1 skips B), then A finds the sender.
  const auto to_a = reverse(at_c, kc, kToday);
  ASSERT_TRUE(to_a.has_value());
  EXPECT_EQ(to_a->str(), at_a.str());
  EXPECT_EQ(reverse(at_b, kb, kToday)->str(), at_a.str());
  EXPECT_EQ(reverse(at_c, kb, kToday).error(), SrsError::bad_hash);  // C's signature, not B's
  const auto home = reverse(*to_a, ka, kToday + days{3});
  ASSERT_TRUE(home.has_value());
  EXPECT_EQ(home->str(), "frank@origin.example");
}

}  // namespace
}  // namespace hikyaku::srs
