// One DMARC evaluation as an aggregate report needs it (RFC 9990 "Aggregate Reports": row, identifiers,
// auth_results, policy_published; RFC 9989 §4.7 tags), and its line encoding for the day's
// append-only store: one line per message, named fields, percent-encoded values, so a line is
// read back exactly and a torn or foreign line is an error value, never a crash.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace hikyaku::dmarc_reports {

// RFC 9990 Appendix A, ActionDispositionType: what was done with the message.
enum class Disposition { none, pass, quarantine, reject };
const char* to_string(Disposition d);

// RFC 9990 "Policy Override Reason" (PolicyOverrideType).
enum class OverrideType { local_policy, mailing_list, other, policy_test_mode, trusted_forwarder };
const char* to_string(OverrideType t);

struct OverrideReason {
  OverrideType type = OverrideType::other;
  std::string comment;
  bool operator==(const OverrideReason&) const = default;
  auto operator<=>(const OverrideReason&) const = default;
};

// RFC 9990 "Contents of the dkim element": one DKIM signature's verification result (RFC 8601 §2.7.1 word).
struct DkimAuth {
  std::string domain;    // d=
  std::string selector;  // s=
  std::string result;    // "pass", "fail", ...
  bool operator==(const DkimAuth&) const = default;
  auto operator<=>(const DkimAuth&) const = default;
};

// RFC 9990 "Contents of the spf element": the SPF result. `scope` is "mfrom" (RFC 7208 §2.4, the MAIL FROM identity,
// also for the null sender's postmaster@HELO) or "helo" (RFC 7208 §2.3).
struct SpfAuth {
  std::string domain;
  std::string scope = "mfrom";
  std::string result = "none";
  bool operator==(const SpfAuth&) const = default;
  auto operator<=>(const SpfAuth&) const = default;
};

// The DMARC Policy Record as it applied (RFC 9989 §4.7; unspecified tags at their defaults).
struct PublishedPolicy {
  std::string p = "none";
  std::string sp;          // "" when the record has no sp=
  std::string np;          // "" when the record has no np=
  std::string adkim = "r";
  std::string aspf = "r";
  bool testing = false;    // t=y
  std::string psd = "u";   // psd= (y, n, u)
  std::string fo = "0";
  bool operator==(const PublishedPolicy&) const = default;
};

struct EvaluationRecord {
  std::string header_from;    // the Author Domain (RFC5322.From)
  std::string policy_domain;  // the DMARC Policy Domain the Tree Walk found (RFC 9989 §4.10.1)
  std::string source_ip;      // the SMTP client (after PROXY protocol)
  std::string envelope_from;  // the RFC5321.MailFrom domain; "" for the null reverse-path
  std::string envelope_to;    // the first recipient's domain
  std::vector<DkimAuth> dkim; // in report order (RFC 9990 "DKIM Signatures in Aggregate Reports"), at most kMaxDkimPerRow
  SpfAuth spf;
  bool dkim_aligned = false;  // policy_evaluated/dkim: pass when true
  bool spf_aligned = false;   // policy_evaluated/spf
  Disposition disposition = Disposition::none;
  std::vector<OverrideReason> reasons;
  PublishedPolicy policy;
  std::vector<std::string> rua;  // the record's rua= URIs, as written
  bool operator==(const EvaluationRecord&) const = default;
};

// RFC 9990 "DKIM Signatures in Aggregate Reports": "no more than 100 signatures for a given row".
inline constexpr std::size_t kMaxDkimPerRow = 100;

// One line, no CR or LF in it: "dmarc1" then TAB-separated key=value fields; every value
// percent-encoded (octets outside "!".."~" and any of % , ; = as %XX).
std::string encode_record(const EvaluationRecord& r);

// The inverse of encode_record(). Fields in any order; an unknown key is skipped (a later
// version may add some); a missing required field, a bad escape or a bad value is an error.
core::Expected<EvaluationRecord, std::string> parse_record(std::string_view line);

}  // namespace hikyaku::dmarc_reports
