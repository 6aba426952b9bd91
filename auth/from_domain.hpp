// The RFC5322.From domain that DMARC evaluates (RFC 9989 §4.2, §5.3.1): exactly one From field
// (RFC 5322 §3.6.2) holding exactly one mailbox (§3.4, with the obsolete forms of §4.4) whose
// domain is a DNS name. Everything else is an error value the relay refuses with 550 5.7.1.
#pragma once
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/message.hpp"

namespace hikyaku::auth {

enum class FromDomainError {
  no_from_field,         // RFC 5322 §3.6: From is required
  several_from_fields,   // RFC 5322 §3.6: at most one From; RFC 9989 §5.3.1
  several_mailboxes,     // RFC 9989 §5.3.1: more than one author
  no_mailbox,            // an empty field or only empty groups ("undisclosed-recipients:;")
  syntax,                // not an RFC 5322 §3.4 address list (e.g. a display name alone)
  no_domain,             // a mailbox without "@domain"
  bad_domain,            // a domain literal, or not a valid DNS name
};

// "no From field", ... for logs and SMTP reply text.
const char* describe(FromDomainError e);

// The domain of the single author mailbox of `message`: lower-cased ASCII; A-labels as written;
// U-labels (RFC 6532) converted to A-labels (IDNA 2008); no trailing dot.
core::Expected<std::string, FromDomainError> from_domain(const core::Message& message);

// The same for one From field's value (after the colon, folding CRLFs allowed).
core::Expected<std::string, FromDomainError> from_domain_of_value(std::string_view value);

}  // namespace hikyaku::auth
