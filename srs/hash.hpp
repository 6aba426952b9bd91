// The two SRS primitives shared by forward and reverse, exactly as libsrs2/PostSRSd compute
// them: the day timestamp (days since the epoch mod 1024, two base32 characters) and the
// 4-character hash (base64 prefix of HMAC-SHA1 over the lowercased fields, no separators).
#pragma once
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace hikyaku::srs::detail {

inline constexpr size_t kHashLength = 4;   // libsrs2 hashlength and hashmin
inline constexpr int kTimeSlots = 1024;    // 10 bits of days: the timestamp wraps every 2.8 years

// "2W" for 2020-01-01: B32[(d >> 5) & 31] B32[d & 31], B32 = "A-Z2-7".
std::string encode_timestamp(std::chrono::sys_days day);
// The day slot (0..1023) of a timestamp, case-insensitively; nullopt unless exactly two base32
// characters (libsrs2 accepts any length; we refuse what we never emit).
std::optional<int> decode_timestamp(std::string_view ts);
// Days between `then_slot` and today, both mod 1024, in 0..1023 (libsrs2: raise now past then).
int age_days(int then_slot, std::chrono::sys_days today);

// First 4 characters of base64url(HMAC-SHA1(secret, lower(f1) + lower(f2) + ...)).
std::string make_hash(std::string_view secret, std::initializer_list<std::string_view> fields);
// Whether `given` (at least 4 characters; only the first 4 count) equals `expected`, ignoring
// case and treating '+' as '-' and '/' as '_' (PostSRSd's reading of both alphabets).
bool hash_matches(std::string_view given, std::string_view expected);

}  // namespace hikyaku::srs::detail
