// How a STARTTLS handshake is checked for the TLS a policy requires: DANE through OpenSSL's
// own DANE support (RFC 7671, RFC 7672 §3: DANE-EE without name checks, DANE-TA with the MX
// host as reference identifier), WebPKI with the MX host name (RFC 8461 §4.2, RFC 6125), or
// none; and what a failure was, as an RFC 8460 §4.3 result type.
#pragma once
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "dns/types.hpp"
#include "relay/tls_policy.hpp"

namespace hikyaku::relay {

// What one connection's TLS must achieve (relay/tls_policy.hpp decides it per MX host).
struct TlsRequirement {
  TlsLevel level = TlsLevel::may;
  std::vector<dns::TlsaRecord> tlsa;  // dane: the usable records
  bool report_only = false;           // check and record, but a failed check does not fail
  // STARTTLS must succeed: no plaintext transaction (encrypt, verify, dane; not report-only).
  bool mandatory() const {
    return !report_only && (level == TlsLevel::encrypt || level == TlsLevel::verify || level == TlsLevel::dane);
  }
  // The level's checks are on the certificate (verify, dane), enforced or only reported.
  bool checks_certificate() const { return level == TlsLevel::verify || level == TlsLevel::dane; }
  bool operator==(const TlsRequirement&) const = default;
};

// The requirement as a key for the connection pool: "may", "verify", "dane 3 1 1 ab..;...",
// with " report-only" when so.
std::string tls_mode_key(const TlsRequirement& requirement);

// What the check of one handshake found.
struct TlsCheck {
  bool checked = false;        // the level asked for a certificate check
  bool passed = false;         // ... and it passed
  std::string result_type;     // RFC 8460 §4.3 when it failed: "certificate-expired", ...
  std::string detail;          // OpenSSL's reason
};

// One connection's TLS as a TLS report counts it (RFC 8460 §4.4 summary and failure details).
struct TlsSessionRecord {
  std::string mx_host;
  std::string endpoint;     // "192.0.2.1:25", "[2001:db8::1]:25"
  std::string receiving_ip;  // the endpoint's address alone (RFC 8460 receiving-ip)
  std::string sending_ip;    // our address on the connection (sending-mta-ip); "" unknown
  bool success = false;
  std::string result_type;  // failure: RFC 8460 §4.3 ("starttls-not-supported", ...)
  std::string detail;
};

// Makes a client context ready for every level: TLS 1.2+, no compression or renegotiation,
// DANE enabled (SSL_CTX_dane_enable), the system's trust store and `ca_file` when not empty.
// Returns nullptr with `error` set when the CA file cannot be loaded.
SSL_CTX* configure_client_context(SSL_CTX* ctx, const std::string& ca_file, std::string& error);

// Sets up `ssl` before its handshake: SNI (not for an address literal), and for verify/dane the
// reference identifier `host` and the TLSA records. With an enforced check a mismatch fails the
// handshake; report-only checks leave it to `check_handshake` afterwards. False with `error`
// when OpenSSL refused the setup (e.g. no usable TLSA record could be added).
bool prepare_handshake(SSL* ssl, const std::string& host, const TlsRequirement& requirement,
                       std::string& error);

// After the handshake (or its failure): whether the certificate check passed, and if not, why.
TlsCheck check_handshake(SSL* ssl, const TlsRequirement& requirement);

// The RFC 8460 §4.3 result type for an X.509 verification error code under a level.
std::string result_type_for(long verify_error, TlsLevel level);

}  // namespace hikyaku::relay
