// Result words of SPF (RFC 7208 §2.6), DKIM (RFC 8601 §2.7.1) and DMARC (RFC 9989 §9.2), as
// they appear in Authentication-Results and logs.
#include "auth/results.hpp"

namespace hikyaku::auth {

const char* to_string(SpfResult r) {
  switch (r) {
    case SpfResult::none: return "none";
    case SpfResult::neutral: return "neutral";
    case SpfResult::pass: return "pass";
    case SpfResult::fail: return "fail";
    case SpfResult::softfail: return "softfail";
    case SpfResult::temperror: return "temperror";
    case SpfResult::permerror: return "permerror";
  }
  return "permerror";
}

const char* to_string(DkimResult r) {
  switch (r) {
    case DkimResult::none: return "none";
    case DkimResult::pass: return "pass";
    case DkimResult::fail: return "fail";
    case DkimResult::policy: return "policy";
    case DkimResult::neutral: return "neutral";
    case DkimResult::temperror: return "temperror";
    case DkimResult::permerror: return "permerror";
  }
  return "permerror";
}

const char* to_string(DmarcResult r) {
  switch (r) {
    case DmarcResult::none: return "none";
    case DmarcResult::pass: return "pass";
    case DmarcResult::fail: return "fail";
    case DmarcResult::temperror: return "temperror";
    case DmarcResult::permerror: return "permerror";
  }
  return "permerror";
}

const char* to_string(DmarcPolicy p) {
  switch (p) {
    case DmarcPolicy::none: return "none";
    case DmarcPolicy::quarantine: return "quarantine";
    case DmarcPolicy::reject: return "reject";
  }
  return "none";
}

}  // namespace hikyaku::auth

namespace hikyaku::auth {

const char* to_string(DmarcPolicySource s) {
  switch (s) {
    case DmarcPolicySource::author_domain: return "author domain";
    case DmarcPolicySource::organizational_domain: return "organizational domain";
    case DmarcPolicySource::public_suffix_domain: return "public suffix domain";
  }
  return "author domain";
}

}  // namespace hikyaku::auth
