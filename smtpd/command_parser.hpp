// Parses one SMTP command line (CRLF already removed) into a verb and its argument, and the
// MAIL FROM / RCPT TO arguments into a path and ESMTP parameters. Pure functions, no state.
// RFC 5321 §4.1.1 (command syntax), §4.1.2 (Path, Mail-parameters), RFC 1870 §3 (SIZE=),
// RFC 6152 §2 (BODY=), RFC 6531 §3.4 (SMTPUTF8).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/envelope.hpp"

namespace hikyaku::smtpd {

enum class Verb { helo, ehlo, mail, rcpt, data, rset, noop, quit, vrfy, expn, help, starttls, unknown };

struct Command {
  Verb verb = Verb::unknown;
  std::string_view arg;  // after the SP that follows the verb; trailing spaces removed
};

// RFC 5321 §2.4: verbs are case-insensitive. The verb ends at the first SP (or the end of the
// line). Trailing spaces are tolerated and dropped (as Postfix does); "DATA " has no argument.
Command parse_command(std::string_view line);

// True when the line holds an octet that can never appear in a command line: NUL, or a CR or
// LF that is not part of the line's final CRLF (RFC 5321 §2.3.8: lines end only at CRLF).
bool has_forbidden_octet(std::string_view line);

// The argument of MAIL ("FROM:<path> params") or RCPT ("TO:<path> params").
struct PathArgument {
  std::string_view path;                 // "<...>" including the angle brackets
  std::vector<std::string_view> params;  // "KEYWORD[=value]", in order
};
enum class PathArgumentError {
  syntax,    // the keyword ("FROM:"/"TO:") is missing, or nothing follows it
  bad_path,  // no well-formed "<...>" after the keyword, or junk right after '>'
};
struct PathArgumentResult {
  std::optional<PathArgument> value;
  PathArgumentError error = PathArgumentError::syntax;
};
// `keyword` is "FROM:" or "TO:" (case-insensitive match). Spaces between the colon and '<' are
// accepted, as Postfix does (RFC 5321 §4.1.1.2 has none, but common clients send one).
PathArgumentResult split_path_argument(std::string_view arg, std::string_view keyword);

// The MAIL parameters this server offers in EHLO.
struct MailParameters {
  std::optional<uint64_t> size;              // RFC 1870 SIZE=; saturates at UINT64_MAX
  core::BodyType body = core::BodyType::seven_bit;  // RFC 6152 BODY=7BIT|8BITMIME
  bool smtputf8 = false;                     // RFC 6531 §3.4
};
// nullopt when any parameter is unknown, malformed, or repeated (→ 555 5.5.4, RFC 5321 §4.1.1.11).
std::optional<MailParameters> parse_mail_parameters(const std::vector<std::string_view>& params);

}  // namespace hikyaku::smtpd
