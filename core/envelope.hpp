// The SMTP envelope of one transaction, and the facts about the session that carried it.
// RFC 5321 §2.3.1 (envelope), §4.1.1.1-4 (HELO/EHLO, MAIL, RCPT), RFC 1870 (SIZE),
// RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 3207 (STARTTLS).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hpp"

namespace hikyaku::core {

struct SessionInfo {
  std::string session_id;     // unique per connection, in every log line
  std::string client_ip;      // textual, from the socket or the PROXY header
  uint16_t client_port = 0;
  std::string proxy_ip;       // the trusted proxy that announced client_ip ("" when direct)
  std::string local_ip;
  uint16_t local_port = 0;
  std::string client_rdns;    // reverse name when known, else empty
  std::string helo;           // the HELO/EHLO argument
  bool esmtp = false;         // EHLO (true) or HELO (false)
  bool tls = false;
  std::string tls_version;    // "TLSv1.3"
  std::string tls_cipher;     // "TLS_AES_256_GCM_SHA384"
};

enum class BodyType { seven_bit, eight_bit_mime };

struct Envelope {
  SessionInfo session;
  std::string transaction_id;       // queue id in logs, unique per transaction
  Address mail_from;                // is_null() for "<>"
  std::optional<uint64_t> declared_size;  // SIZE= on MAIL
  BodyType body = BodyType::seven_bit;
  bool smtputf8 = false;
  std::vector<Address> recipients;  // accepted RCPTs, in order
};

}  // namespace hikyaku::core
