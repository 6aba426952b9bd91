// Domain names as text: parsing the presentation format of RFC 1035 §5.1 (escapes "\X" and
// "\DDD"), the limits of §2.3.4 and §3.1, case-insensitive comparison by lowercasing (RFC 4343),
// and reverse-lookup names (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/expected.hpp"

namespace hikyaku::dns {

namespace asio = boost::asio;

// The labels of a name, leftmost first, each 1..63 arbitrary octets. Empty: the root.
using Labels = std::vector<std::string>;

inline constexpr size_t kMaxLabelLength = 63;   // RFC 1035 §2.3.4
inline constexpr size_t kMaxNameLength = 255;   // octets on the wire, RFC 1035 §2.3.4

struct ParsedName {
  Labels labels;
  bool absolute = false;  // ended with an unescaped '.', or was "."
};

// Parses presentation text: '.' separates labels, "\X" is the octet X, "\DDD" the octet with
// that decimal value. "." alone is the root. Empty labels ("a..b", ".a") and names over the
// limits are errors (the message says which).
core::Expected<ParsedName, std::string> parse_name(std::string_view text);

// Canonical text of labels: ASCII lowercased, no trailing dot, "." for the root; '.' and '\'
// within a label and octets outside 0x21-0x7E written as "\." "\\" "\DDD".
std::string labels_to_name(const Labels& labels);

// Appends `c` in RFC 1035 §5.1 presentation form: a backslash and the octet when it is in
// `specials`, backslash-DDD when it is below `lowest_plain` or above '~', else the octet
// itself. Names use 0x21 (a space is escaped, so a name stays one token), quoted text 0x20.
void append_presentation_octet(std::string& out, unsigned char c, std::string_view specials,
                               unsigned char lowest_plain);

// Octets the name takes on the wire (each label plus its length octet, plus the root octet).
size_t wire_length(const Labels& labels);

// Any accepted spelling of a name ("Mail.Example.COM.", "mail.example.com") to canonical
// text; nullopt when it is not a valid name (empty, empty label, too long, bad escape).
std::optional<std::string> normalise_name(std::string_view name);

// Labels of a canonical (or any valid) name; empty for the root or an invalid name.
Labels split_name(std::string_view name);

// True when `name` equals `ancestor` or lies below it ("a.b.example" under "example"); both
// canonical. Every name is under the root ".".
bool is_at_or_below(std::string_view name, std::string_view ancestor);

// The name to query PTR for: "4.3.2.1.in-addr.arpa" for 1.2.3.4; for IPv6 the 32 nibbles in
// reverse under ip6.arpa (RFC 3596 §2.5). An IPv4-mapped IPv6 address stays IPv6.
std::string reverse_name(const asio::ip::address& ip);
// The same from text; nullopt when the text is not an IPv4 or IPv6 address.
std::optional<std::string> reverse_name(std::string_view ip_text);

}  // namespace hikyaku::dns
