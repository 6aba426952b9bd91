// Private: pure checks of single configuration values (addresses, selectors, reply text,
// local parts). Each returns the problem as text for "FILE:LINE: key: problem", or nothing.
// RFC 5321 §4.1.2, §4.2, §4.5.3.1; RFC 3463 §2; RFC 6376 §3.1; RFC 8601 §2.2.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/expected.hpp"

namespace hikyaku::config::detail {

// `text` in double quotes with control characters, quotes and backslashes escaped and values
// longer than `max_shown` shortened, so a message always stays one printable line.
std::string quote(std::string_view text, size_t max_shown = 80);
// `text` with control characters written as \xNN (for text from elsewhere, e.g. toml++).
std::string escape_controls(std::string_view text);

// "HOST:PORT" where HOST is an IPv4 literal or a bracketed IPv6 literal ("[::1]:2525").
// The host comes back in canonical form ("::1" for "[0:0::1]"). Port 0 only when allowed.
core::Expected<ListenAddress, std::string> parse_host_port(std::string_view text, bool allow_port_zero);

bool is_ipv4(std::string_view text);
bool is_ipv6(std::string_view text);

// RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ), labels of letters, digits, hyphens.
bool is_selector(std::string_view text);

// RFC 8601 §2.2 authserv-id as an RFC 2045 token: printable ASCII, no space, no tspecials.
bool is_token(std::string_view text);

// A rule's local part: 1-64 octets (RFC 5321 §4.5.3.1.1), no "@", no control characters.
std::optional<std::string> check_local_part(std::string_view local);

// subaddress_separator: one or more punctuation characters, none of them "@", quote or "\".
std::optional<std::string> check_separator(std::string_view separator);

// Reply text for a configured reject: RFC 5321 §4.2 textstring (HT, SP and printable ASCII),
// at most 506 octets so the reply line fits 512 (§4.5.3.1.5), and a leading enhanced status
// code must have the reply code's class (RFC 3463 §2).
std::optional<std::string> check_reply_text(std::string_view text, int code);

// The default reject text for a code's class.
std::string default_reject_text(int code);

}  // namespace hikyaku::config::detail
