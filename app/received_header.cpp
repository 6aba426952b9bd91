// Received: header rendering. RFC 5321 §4.4, RFC 5322 §3.6.7, RFC 3848, RFC 6531 §3.7.3.
#include "app/received_header.hpp"

#include <ctime>

#include <fmt/format.h>

namespace hikyaku::app {

namespace {

// A HELO argument as it may appear in the "from" clause: letters, digits and "-._:[]",
// everything else replaced by '?', at most 255 octets.
std::string safe_helo(const std::string& helo) {
  std::string out;
  for (char c : helo.substr(0, 255)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == ':' || c == '[' || c == ']';
    out += ok ? c : '?';
  }
  return out.empty() ? "unknown" : out;
}

// RFC 3848 / RFC 6531 §3.7.3 protocol names.
std::string protocol(const core::Envelope& env) {
  if (env.smtputf8) return env.session.tls ? "UTF8SMTPS" : "UTF8SMTP";
  if (!env.session.esmtp) return "SMTP";
  return env.session.tls ? "ESMTPS" : "ESMTP";
}

}  // namespace

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {} {} {} {:02}:{:02}:{:02} +0000", days[tm.tm_wday], tm.tm_mday,
                     months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string received_header(const core::Envelope& env, const std::string& hostname,
                            std::chrono::system_clock::time_point now) {
  const auto& s = env.session;
  std::string out = "Received: from " + safe_helo(s.helo) + " (";
  out += s.client_rdns.empty() ? "unknown" : safe_helo(s.client_rdns);
  out += " [" + s.client_ip + "])\r\n";
  out += "\tby " + hostname + " (Hikyaku) with " + protocol(env) + " id " + env.transaction_id;
  if (s.tls) {
    out += "\r\n\t(using " + safe_helo(s.tls_version) + " with cipher " + safe_helo(s.tls_cipher) + ")";
  }
  // One "for" clause only when there is one recipient: naming several would disclose Bcc's.
  if (env.recipients.size() == 1) out += "\r\n\tfor <" + env.recipients.front().str() + ">";
  out += "; " + rfc5322_date(now) + "\r\n";
  return out;
}

}  // namespace hikyaku::app
