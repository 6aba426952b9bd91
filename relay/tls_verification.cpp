// STARTTLS checks on OpenSSL 3: DANE through SSL_dane_enable/SSL_dane_tlsa_add (RFC 7671 §5,
// RFC 7672 §3.1-3.2), WebPKI through SSL_set1_host (RFC 6125 §6, no partial wildcards), and
// the verification error read back as an RFC 8460 §4.3 result type.
#include "relay/tls_verification.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace hikyaku::relay {
namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool is_address_literal(const std::string& host) { return host.empty() || host.front() == '['; }

}  // namespace

SSL_CTX* configure_client_context(SSL_CTX* ctx, const std::string& ca_file, std::string& error) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // each connection sets its own mode
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) ERR_clear_error();
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    error = "cannot load CA file " + ca_file + ": " + openssl_error();
    return nullptr;
  }
  if (SSL_CTX_dane_enable(ctx) <= 0) {
    error = "cannot enable DANE: " + openssl_error();
    return nullptr;
  }
  return ctx;
}

bool prepare_handshake(SSL* ssl, const std::string& host, const TlsRequirement& requirement,
                       std::string& error) {
  const bool literal = is_address_literal(host);
  // RFC 6066 §3: SNI carries a DNS name, never an address literal; RFC 7672 §8.1 asks for it.
  if (!literal && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) ERR_clear_error();
  const int mode = requirement.checks_certificate() && !requirement.report_only ? SSL_VERIFY_PEER
                                                                                : SSL_VERIFY_NONE;
  if (requirement.level == TlsLevel::dane) {
    // RFC 7672 §3.2.2: the MX host name is the reference identifier (for DANE-TA); RFC 7672
    // §3.1.1: DANE-EE matches the key or certificate alone, with no name checks.
    if (SSL_dane_enable(ssl, literal ? nullptr : host.c_str()) <= 0) {
      error = "cannot enable DANE for " + host + ": " + openssl_error();
      return false;
    }
    SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
    size_t usable = 0;
    for (const auto& r : requirement.tlsa) {
      const int rc = SSL_dane_tlsa_add(ssl, r.usage, r.selector, r.matching_type,
                                       reinterpret_cast<const unsigned char*>(r.data.data()),
                                       r.data.size());
      if (rc > 0) ++usable;
      else ERR_clear_error();
    }
    if (usable == 0) {
      error = "no usable TLSA record for " + host;
      return false;
    }
  } else if (requirement.level == TlsLevel::verify && !literal) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, host.c_str()) != 1) {
      error = "cannot set the reference name " + host + ": " + openssl_error();
      return false;
    }
  }
  SSL_set_verify(ssl, mode, nullptr);
  return true;
}

std::string tls_mode_key(const TlsRequirement& requirement) {
  std::string key(to_string(requirement.level));
  for (const auto& r : requirement.tlsa) key += " " + dns::to_string(r) + ";";
  if (requirement.report_only) key += " report-only";
  return key;
}

std::string result_type_for(long verify_error, TlsLevel level) {
  switch (verify_error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return "certificate-host-mismatch";
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate-expired";
    case X509_V_ERR_DANE_NO_MATCH:
      return "tlsa-invalid";  // none of the TLSA records matched (RFC 8460 §4.3.2)
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return level == TlsLevel::dane ? "tlsa-invalid" : "certificate-not-trusted";
    default:
      return "validation-failure";
  }
}

TlsCheck check_handshake(SSL* ssl, const TlsRequirement& requirement) {
  TlsCheck check;
  if (!requirement.checks_certificate()) return check;
  check.checked = true;
  // After a handshake that failed on the certificate the peer's certificate may be gone, but
  // the verification error stays.
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK && SSL_get0_peer_certificate(ssl) == nullptr) {
    check.result_type = "validation-failure";
    check.detail = "no certificate from the server";
    return check;
  }
  if (result == X509_V_OK) {
    // With DANE, OK means a TLSA record matched (SSL_get0_dane_authority gives its depth).
    check.passed = requirement.level != TlsLevel::dane || SSL_get0_dane_authority(ssl, nullptr, nullptr) >= 0;
    if (!check.passed) {
      check.result_type = "tlsa-invalid";
      check.detail = "no TLSA record matched";
    }
    return check;
  }
  check.result_type = result_type_for(result, requirement.level);
  check.detail = X509_verify_cert_error_string(result);
  return check;
}

}  // namespace hikyaku::relay
