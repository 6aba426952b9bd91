// The verdicts of the checks at end of DATA, as values named after the RFC result words:
// SPF (RFC 7208 §2.6), DKIM (RFC 6376 §6.1, RFC 8601 §2.7.1), ARC (RFC 8617 §4.4) and DMARC
// (RFC 9989 §4.10.1, §9.2). Temporary and permanent errors are kept apart.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "auth/arc_verify.hpp"

namespace hikyaku::auth {

// RFC 7208 §2.6 / RFC 8601 §2.7.2.
enum class SpfResult { none, neutral, pass, fail, softfail, temperror, permerror };

struct SpfOutcome {
  SpfResult result = SpfResult::none;
  // What was checked: the MAIL FROM mailbox ("user@example.com"; "postmaster@HELO" for the null
  // sender, RFC 7208 §2.4) or the HELO name.
  std::string identity;
  std::string domain;   // the domain whose record decided (the part after "@")
  std::string reason;   // a short comment for logs and the A-R header ("" when none)
};

struct SpfVerdict {
  SpfOutcome mail_from;  // RFC 7208 §2.4: what DMARC uses
  SpfOutcome helo;       // RFC 7208 §2.3: recorded, never enforced alone
};

// RFC 8601 §2.7.1.
enum class DkimResult { none, pass, fail, policy, neutral, temperror, permerror };

struct DkimSignatureOutcome {
  DkimResult result = DkimResult::none;
  std::string domain;     // d=
  std::string selector;   // s=
  std::string algorithm;  // a= ("rsa-sha256", "ed25519-sha256", "rsa-sha1")
  std::string b_prefix;   // the first 8 characters of b=, for header.b (RFC 6008)
  std::string reason;     // why not pass ("body hash mismatch", "key too short", ...)
};

// One entry per DKIM-Signature field, in header order; empty means dkim=none.
using DkimVerdict = std::vector<DkimSignatureOutcome>;

struct DmarcRecord;  // auth/dmarc_record.hpp

// RFC 9989 §9.2 result words.
enum class DmarcResult { none, pass, fail, temperror, permerror };
// p= / sp= / np= (RFC 9989 §4.7).
enum class DmarcPolicy { none, quarantine, reject };
// Where the DMARC Policy Record came from (RFC 9989 §4.10.1).
enum class DmarcPolicySource { author_domain, organizational_domain, public_suffix_domain };

struct DmarcOutcome {
  DmarcResult result = DmarcResult::none;
  std::string from_domain;              // the Author Domain (header.from)
  std::string record_domain;            // the DMARC Policy Domain: where the record was found ("" when none)
  DmarcPolicySource policy_source = DmarcPolicySource::author_domain;
  std::string org_domain;               // the Author Domain's Organizational Domain ("" when not known)
  DmarcPolicy policy = DmarcPolicy::none;  // p=, sp= or np= as it applies to from_domain
  std::string policy_tag = "p";         // which of them
  bool testing = false;                 // t=y: the policy applied is one level below (§4.7 "t")
  // What the record asks us to do with this message: none on pass, otherwise `policy`, one
  // level below when testing (RFC 9989 §4.7 "t").
  DmarcPolicy disposition = DmarcPolicy::none;
  bool spf_aligned = false;   // SPF pass with an aligned MAIL FROM domain
  bool dkim_aligned = false;  // a DKIM pass with an aligned d=
  std::string reason;         // for logs ("no aligned identifier", "...: SERVFAIL")
  std::vector<std::string> notes;  // what the record parser ignored ("pct=50 ignored: ...")
  // The DMARC Policy Record that applied (null when none did): its rua= and published tags
  // for aggregate reports (RFC 9990 policy_published).
  std::shared_ptr<const DmarcRecord> record;
};

struct AuthResults {
  // Non-empty when the message has no single RFC5322.From domain (RFC 9989 §5.3.1): zero or
  // several From fields, several mailboxes, or no domain. Such a message is refused.
  std::string from_problem;
  SpfVerdict spf;
  DkimVerdict dkim;
  ArcResult arc;
  DmarcOutcome dmarc;
};

const char* to_string(SpfResult r);
const char* to_string(DkimResult r);
const char* to_string(DmarcResult r);
const char* to_string(DmarcPolicy p);
const char* to_string(DmarcPolicySource s);  // "author domain", "organizational domain", ...

}  // namespace hikyaku::auth
