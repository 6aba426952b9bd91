// Mailbox addresses as SMTP carries them: RFC 5321 §4.1.2 (Path, Mailbox, Local-part, Domain),
// RFC 6531 §3.3 (UTF-8 local parts and U-label domains under SMTPUTF8), RFC 5890 (IDNA).
// Pure: no I/O, no DNS.
#pragma once
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace hikyaku::core {

struct Address {
  // The local part in its unquoted form ("a b" for "\"a b\"@x"); case preserved as received.
  std::string local;
  // The domain as A-labels, lowercased, no trailing dot ("xn--bcher-kva.example").
  // Empty only for the null reverse-path "<>".
  std::string domain;
  // True when the local part holds non-ASCII octets (needs SMTPUTF8 to be passed on).
  bool utf8_local = false;
  // The domain exactly as written when it differs from `domain` only in letter case
  // ("Example.COM"), else empty. Domains compare without case (RFC 5321 §2.4); this keeps the
  // sender's spelling where we pass an address on (MAIL FROM, SRS: as Mail::SRS does).
  std::string domain_as_sent = {};

  bool is_null() const { return local.empty() && domain.empty(); }
  // "local@domain" with the local part quoted where RFC 5321 §4.1.2 requires; "" for null.
  std::string str() const;
  // The same with the domain spelled as sent (domain_as_sent when set).
  std::string str_as_sent() const;
};

enum class AddressError {
  syntax,           // not an RFC 5321 Path / Mailbox
  too_long,         // local part > 64 or domain > 255 octets (RFC 5321 §4.5.3.1.1-2)
  utf8_not_allowed, // non-ASCII without SMTPUTF8
  bad_domain,       // not a valid hostname or address literal, or IDNA conversion failed
};
std::string_view describe(AddressError e);

struct PathOptions {
  bool allow_null = false;  // "<>" is valid (MAIL FROM), not for RCPT
  bool allow_utf8 = false;  // the client said SMTPUTF8 on MAIL (RFC 6531 §3.4)
  // "<Postmaster>" without a domain is valid (RCPT only, RFC 5321 §4.1.1.3); it parses to
  // Address{local = "postmaster", domain = ""}.
  bool allow_bare_postmaster = false;
};

// Parses an RFC 5321 Path "<[@a,@b:]local@domain>". A source route (A-d-l) is accepted and
// ignored as §4.1.1.3 and appendix C say. Address literals ("[192.0.2.1]", "[IPv6:...]") are
// syntax-valid domains kept as written. The domain is converted to A-labels (IDNA 2008).
Expected<Address, AddressError> parse_path(std::string_view path, PathOptions opts);

// Parses a bare "local@domain" (no angle brackets), e.g. from configuration.
Expected<Address, AddressError> parse_mailbox(std::string_view mailbox, bool allow_utf8);

// Converts a domain (ASCII or U-labels, optional trailing dot rejected) to lowercase A-labels.
Expected<std::string, AddressError> domain_to_ascii(std::string_view domain);

// Case-insensitive ASCII comparison of local parts; non-ASCII octets compare exactly.
bool local_parts_equal(std::string_view a, std::string_view b);

// A host name as DNS carries it in mail (RFC 1035 §2.3.1, RFC 5890 §2.3.2.1): lower-case
// LDH labels of 1-63 octets, no hyphen at either end of a label, at most 253 octets.
bool is_lowercase_hostname(std::string_view name);
std::string ascii_lower(std::string_view s);

}  // namespace hikyaku::core
