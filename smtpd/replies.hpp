// Every reply the SMTP server itself composes, as named values with their enhanced status codes.
// RFC 5321 §4.2.2-4.2.3 (reply codes), §4.3.2 (codes per command), RFC 3463 / RFC 2034 (enhanced
// codes), RFC 3207 §4 (STARTTLS), RFC 1870 §6 (SIZE), RFC 6531 §3.6-3.7 (SMTPUTF8).
#pragma once
#include <string>
#include <string_view>

#include "core/smtp_reply.hpp"

namespace hikyaku::smtpd::replies {

using core::SmtpReply;

inline SmtpReply make(int code, std::string_view enhanced, std::string_view text) {
  return SmtpReply::make(code, enhanced, text);
}
inline std::string with_host(std::string_view host, std::string_view text) {
  std::string s(host);
  s += ' ';
  s += text;
  return s;
}

// §4.2 / §3.1: the greeting carries the host name; 220 has no enhanced code.
inline SmtpReply greeting(std::string_view host) { return make(220, "", with_host(host, "ESMTP Hikyaku")); }
inline SmtpReply helo(std::string_view host) { return make(250, "", host); }
inline SmtpReply ok() { return make(250, "2.0.0", "Ok"); }
inline SmtpReply mail_ok() { return make(250, "2.1.0", "Ok"); }
inline SmtpReply bye() { return make(221, "2.0.0", "Bye"); }
inline SmtpReply start_data() { return make(354, "", "End data with <CR><LF>.<CR><LF>"); }
inline SmtpReply vrfy() {
  // §3.5.3: 252 when the server will not verify but will accept mail for the address.
  return make(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
}
inline SmtpReply help() {
  return make(214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS");
}
inline SmtpReply ready_for_tls() { return make(220, "2.0.0", "Ready to start TLS"); }

// Syntax (§4.2.2: 500 unrecognised / line too long, 501 argument syntax, 555 parameters).
inline SmtpReply unrecognized() { return make(500, "5.5.2", "Error: command not recognized"); }
inline SmtpReply line_too_long() { return make(500, "5.5.2", "Error: line too long"); }
inline SmtpReply bad_octet() {
  return make(500, "5.5.2", "Error: bare CR, LF or NUL in command line");
}
inline SmtpReply syntax(std::string_view usage) {
  return make(501, "5.5.4", "Syntax: " + std::string(usage));
}
// §4.1.1.1: Domain or address literal, US-ASCII; 5.5.2 as a syntax error (RFC 3463 §3.6).
inline SmtpReply bad_helo_octets() {
  return make(501, "5.5.2", "Error: HELO/EHLO argument must be printable US-ASCII (A-labels for an "
                            "internationalized name)");
}
inline SmtpReply bad_sender() { return make(501, "5.1.7", "Bad sender address syntax"); }
inline SmtpReply bad_recipient() { return make(501, "5.1.3", "Bad recipient address syntax"); }
inline SmtpReply bad_parameters() {
  return make(555, "5.5.4", "Error: unsupported or malformed MAIL/RCPT parameters");
}
inline SmtpReply parameters_need_ehlo() {
  return make(555, "5.5.4", "Error: MAIL parameters require EHLO");
}
// RFC 6531 §3.6.2: non-ASCII addresses without SMTPUTF8.
inline SmtpReply utf8_needs_smtputf8() {
  return make(553, "5.6.7", "Error: non-ASCII address requires SMTPUTF8");
}
inline SmtpReply not_implemented() { return make(502, "5.5.1", "Error: command not implemented"); }
inline SmtpReply tls_not_available() { return make(502, "5.5.1", "Error: STARTTLS not available"); }

// Order (§4.1.4, §3.3).
inline SmtpReply need_helo() { return make(503, "5.5.1", "Error: send HELO/EHLO first"); }
inline SmtpReply need_mail() { return make(503, "5.5.1", "Error: need MAIL command"); }
inline SmtpReply nested_mail() { return make(503, "5.5.1", "Error: nested MAIL command"); }
inline SmtpReply no_recipients() { return make(554, "5.5.1", "Error: no valid recipients"); }
inline SmtpReply tls_already_active() { return make(503, "5.5.1", "Error: TLS already active"); }
inline SmtpReply tls_in_transaction() {
  return make(503, "5.5.1", "Error: STARTTLS not allowed during a mail transaction");
}

// Limits.
inline SmtpReply too_big() { return make(552, "5.3.4", "Message size exceeds fixed limit"); }
inline SmtpReply too_many_recipients() { return make(452, "4.5.3", "Error: too many recipients"); }
inline SmtpReply data_bare_cr_lf() {
  return make(550, "5.6.11", "Error: bare CR or LF in message data (SMTP smuggling defence)");
}
// §4.5.3.1.6 / §4.3.2: after DATA only 250, 552, 554, 451, 452, 450, 550 are valid; 552 with
// 5.3.4 ("message too big for system", RFC 3463 §3.4): the limit is ours, so the text names it.
inline SmtpReply data_line_too_long(size_t limit) {
  return make(552, "5.3.4",
              "Error: message has a line longer than " + std::to_string(limit) +
                  " octets (RFC 5321 4.5.3.1.6); refused rather than rewrapped, which would "
                  "break its signatures");
}

// RFC 5321 §6.3 (loops), RFC 3463 §3.5 X.4.6 "Routing loop detected"; Postfix's wording.
inline SmtpReply too_many_hops() { return make(554, "5.4.6", "Error: too many hops"); }
// RFC 3463 §3.4 X.3.1: the process-wide budget of message bytes in memory is spent.
inline SmtpReply insufficient_storage() { return make(452, "4.3.1", "Insufficient system storage"); }

// Session endings (§3.8: 421 before closing).
inline SmtpReply too_many_errors(std::string_view host) {
  return make(421, "4.7.0", with_host(host, "Error: too many errors"));
}
// Postfix smtpd_junk_command_limit: commands that do no mail work, past the limit.
inline SmtpReply too_many_junk_commands(std::string_view host) {
  return make(421, "4.7.0", with_host(host, "Error: too many commands without mail"));
}
inline SmtpReply session_time_exceeded(std::string_view host) {
  return make(421, "4.4.2", with_host(host, "Error: session time limit exceeded"));
}
inline SmtpReply timeout(std::string_view host) {
  return make(421, "4.4.2", with_host(host, "Error: timeout exceeded"));
}
inline SmtpReply shutting_down(std::string_view host) {
  return make(421, "4.3.2", with_host(host, "Service shutting down"));
}

}  // namespace hikyaku::smtpd::replies
