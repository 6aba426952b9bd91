// The Authentication-Results header field, RFC 8601: rendering ours (§2.2 syntax, §2.7 methods
// spf/dkim/dmarc and RFC 8617 §10.2 arc, §2.2 value = token / quoted-string, never CR/LF) and
// removing forged copies that carry our authserv-id (§5, §7.1) before we add ours.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "auth/results.hpp"
#include "core/message.hpp"

namespace hikyaku::auth {

struct SmtpIdentities {
  std::string mail_from;  // the MAIL FROM mailbox without "<>" (core::Address::str()); "" = null
  std::string helo;       // the EHLO/HELO argument
};

// The whole field, "Authentication-Results: <authserv-id>; spf=...; dkim=...; arc=...;
// dmarc=...\r\n", folded with CRLF TAB so lines stay within 78 octets where a word allows and
// never exceed 998. One resinfo per method, one dkim resinfo per signature ("dkim=none" when
// there is none). SPF (§2.7.2): the MAIL FROM check as smtp.mailfrom; for the null sender the
// same check (postmaster@HELO, RFC 7208 §2.4) reported as smtp.helo; the separate HELO check
// is not repeated. DMARC (RFC 9989 §9.1): on pass/fail a comment "(p=REJECT dis=QUARANTINE
// [t=y]; policy domain D [(organizational domain|public suffix domain)])" (p = the policy that
// applies, dis = what it asks for this message, D = where the Tree Walk found the record),
// header.from when the From domain is known, and on pass/fail policy.dmarc (the policy after
// t=y). `from_rewritten`: the reason word when we rewrite the From (app/from_rewrite), added
// at the end of the dmarc resinfo as "(From rewritten: WORD)" (an RFC 8601 §2.2 comment), so
// the receiver knows header.from names the author, not the From it sees.
std::string render_authentication_results(const AuthResults& results,
                                          std::string_view authserv_id,
                                          const SmtpIdentities& smtp,
                                          std::string_view from_rewritten = {});

// RFC 8601 §2.2 value: `text` as is when it is a token (RFC 2045 §5.1), else a quoted-string
// (RFC 5322 §3.2.4). Control characters (CR, LF, NUL, ...) become '?'; longer than 256 octets
// is cut there.
std::string ar_value(std::string_view text);

// The authserv-id at the start of an Authentication-Results field value: leading CFWS
// (comments, folding) skipped, then a token or a quoted-string (unquoted). nullopt when there
// is none. What follows the authserv-id is not checked.
std::optional<std::string> parse_authserv_id(std::string_view field_value);

// The raw message without the Authentication-Results fields whose authserv-id equals
// `authserv_id` (ASCII case-insensitive); every other octet unchanged.
// The same, appended to `out` (which may already hold fields to go before it).
void append_without_authentication_results(const core::Message& message, std::string_view authserv_id,
                                           std::string& out);
std::string remove_authentication_results(const core::Message& message,
                                          std::string_view authserv_id);

}  // namespace hikyaku::auth
