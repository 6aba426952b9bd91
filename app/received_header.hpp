// The Received: trace field Hikyaku prepends to every message it forwards.
// RFC 5321 §4.4 (trace information), RFC 5322 §3.6.7 (syntax), RFC 3848 (ESMTPS/ESMTPSA),
// RFC 6531 §3.7.3 (UTF8SMTP/UTF8SMTPS), RFC 8314 §4.3 (TLS details in a comment).
#pragma once
#include <chrono>
#include <string>

#include "core/envelope.hpp"

namespace hikyaku::app {

// "Received: from helo (rdns [ip])\r\n\tby host (Hikyaku) with ESMTPS id X\r\n\t(...)\r\n\tfor
// <rcpt>; date\r\n". Client-supplied text (HELO) is reduced to safe characters first, so the
// field never carries CR, LF or anything that would break its syntax.
std::string received_header(const core::Envelope& env, const std::string& hostname,
                            std::chrono::system_clock::time_point now);

// RFC 5322 §3.3 date-time in UTC: "Sun, 22 Nov 2026 16:02:05 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);

}  // namespace hikyaku::app
