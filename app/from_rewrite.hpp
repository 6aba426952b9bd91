// The From rewrite of a forwarded message (DMARC mitigation as mailing lists do it, RFC 7960
// §3.2.3): the single author mailbox (RFC 5322 §3.4, §3.6.2) replaced by a reply address at the
// forwarding domain, the display name kept with " via <domain>" (RFC 2047 §5 encoded words left
// intact), the original mailbox in Reply-To (§3.6.2) unless one exists, and in X-Original-From.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/from_rewrite_decision.hpp"
#include "auth/results.hpp"
#include "core/address.hpp"
#include "core/expected.hpp"
#include "core/message.hpp"
#include "routing/reply_route.hpp"

namespace hikyaku::app {

// One word of the display name as written: an atom (an RFC 2047 encoded word is an atom that
// starts with "=?" and ends with "?="), a quoted-string with its quotes and quoted-pairs, or
// the '.' of an obs-phrase (RFC 5322 §4.1).
struct DisplayWord {
  enum class Kind { atom, encoded, quoted, dot } kind = Kind::atom;
  std::string text;
};

struct AuthorMailbox {
  std::vector<DisplayWord> display;  // empty: no display name
  core::Address address;             // the addr-spec
  size_t field_index = 0;            // which of Message::fields() is the From field
};

// The single author of `message`, or why there is none to rewrite (multiple_from,
// multiple_authors, group, bad_syntax). Comments (RFC 5322 §3.2.2) are skipped.
core::Expected<AuthorMailbox, AuthorHeader> parse_author(const core::Message& message);

// The display name we write: when the original has no encoded word, one quoted-string
// "<words> via <domain>" (quoted-pairs only for '"' and '\'); with encoded words, the words as
// written followed by "via <domain>" as a quoted-string; without a display name,
// "<local> at <domain> via <via_domain>".
std::string rewritten_display(const AuthorMailbox& author, std::string_view via_domain);

// The message with its From field replaced by
//   From: <rewritten_display> <reply_address>
//   Reply-To: <the original From value>          (only when there is no Reply-To field)
//   X-Original-From: <the original From value>
// at the original From's place; every other octet unchanged. Lines are folded before a space
// (never inside a quoted-pair) to stay within 78 octets where a word allows (RFC 5322 §2.1.1),
// ending in CRLF.
std::string rewrite_from(const core::Message& message, const AuthorMailbox& author,
                         const core::Address& reply_address, std::string_view via_domain);

// The names of the fields the relay prepends to every forwarded message (our trace field and
// Authentication-Results; the ARC set when `arc`; our DKIM-Signature fields when `signs`).
std::vector<std::string> prepended_field_names(bool arc, bool signs);

// Whether the `index`-th DKIM-Signature field of `message` still verifies once fields named in
// `prepended` are added on top: RFC 6376 §5.4.2 selects fields from the bottom up and signs a
// name listed in h= more often than the message has such fields as absent (over-signing), so
// a field of that name added above breaks the signature; otherwise what we add is not covered.
bool survives_prepended(const core::Message& message, size_t index, const std::vector<std::string>& prepended);

// Whether one of our DKIM signing domains aligns with `domain` (relaxed, RFC 9989 §4.4.1
// without the Tree Walk: the same name or a parent of it), ASCII case ignored.
bool signs_for(const std::vector<std::string>& key_domains, std::string_view domain);

// The whole plan for one message: the author parsed, the reply address made (a too-long or
// unencodable author stops it), whether an aligned author DKIM pass survives the fields in
// `prepended` (the passing signatures whose d= is the author domain or shares its
// organizational domain), the decision taken; `rewritten` is the new raw message when the
// decision is to rewrite.
struct FromRewritePlan {
  FromRewriteDecision decision;
  std::optional<AuthorMailbox> author;
  core::Address reply_address;
  std::optional<std::string> rewritten;
};
FromRewritePlan plan_from_rewrite(const core::Message& message, const auth::AuthResults& results,
                                  config::FromRewriteMode mode, const std::optional<routing::ReplyRouting>& reply,
                                  const std::vector<std::string>& key_domains, std::chrono::sys_days today,
                                  const std::vector<std::string>& prepended);

// Folds one header field (no CRLF at its end) as described above; the result ends in CRLF.
std::string fold_field(std::string_view line);

}  // namespace hikyaku::app
