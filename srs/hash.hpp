// The two SRS primitives shared by forward and reverse, exactly as libsrs2/PostSRSd compute
// them: the day timestamp (days since the epoch mod 1024, two base32 characters) and the
// hash (base64url prefix of HMAC-SHA1 over the lowercased fields, no separators): 4 characters
// compared case-insensitively as libsrs2/Mail::SRS do, or a longer one compared exactly.
#pragma once
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace hikyaku::srs::detail {

inline constexpr size_t kHashLength = 4;   // libsrs2 hashlength and hashmin: the legacy length
inline constexpr size_t kMaxHashLength = 10;  // 60 bits of the 160-bit MAC
inline constexpr int kTimeSlots = 1024;    // 10 bits of days: the timestamp wraps every 2.8 years

// "2W" for 2020-01-01: B32[(d >> 5) & 31] B32[d & 31], B32 = "A-Z2-7".
std::string encode_timestamp(std::chrono::sys_days day);
// The day slot (0..1023) of a timestamp, case-insensitively; nullopt unless exactly two base32
// characters (libsrs2 accepts any length; we refuse what we never emit).
std::optional<int> decode_timestamp(std::string_view ts);
// Days between `then_slot` and today, both mod 1024, in 0..1023 (libsrs2: raise now past then).
int age_days(int then_slot, std::chrono::sys_days today);

// First `length` (4..kMaxHashLength) characters of
// base64url(HMAC-SHA1(secret, lower(f1) + lower(f2) + ...)).
std::string make_hash(std::string_view secret, std::initializer_list<std::string_view> fields,
                      size_t length = kHashLength);

// Whether `given` verifies against `expected` (make_hash at kMaxHashLength), with '+' read as
// '-' and '/' as '_' (PostSRSd's reading of both alphabets):
// - length 4 (libsrs2/Mail::SRS): the first 4 characters of a hash of at least 4, case ignored
//   (some MTAs lowercase local parts);
// - length L > 4: the first L characters of a hash of at least L, case significant (a 4-letter
//   case-folded hash is only about 21 bits); a hash of exactly 4 characters is still read the
//   legacy way when accept_legacy (addresses written before the length was raised).
bool hash_matches(std::string_view given, std::string_view expected, size_t length = kHashLength,
                  bool accept_legacy = true);

}  // namespace hikyaku::srs::detail
