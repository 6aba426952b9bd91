// The DKIM-Signature fields of a message as far as key retrieval needs them (RFC 6376 §3.5 d=,
// s=, a=, q=; §3.6.2.1 "s._domainkey.d"; §6.1.1 which signatures to check) and the outcome of
// each key lookup (§6.1.2). Pure: no I/O (the lookups are in dkim_key_fetch.hpp).
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace hikyaku::auth {

// At most this many DKIM-Signature fields (the first ones in header order) are looked up and
// verified; the rest are reported as not checked (RFC 6376 §6.1: verifiers MAY limit the
// number of signatures they try; §8.4 on the cost of many signatures).
inline constexpr size_t kMaxDkimSignatures = 10;

// One DKIM-Signature field, parsed only as far as the key lookup and the A-R header need.
struct DkimSignatureRef {
  size_t field_index = 0;  // index into Message::fields()
  std::string domain;      // d= as written ("" when absent or unparsable)
  std::string selector;    // s=
  std::string algorithm;   // a=
  std::string b_prefix;    // the first 8 characters of b= without FWS
  // "s._domainkey.d" lower-cased, when this signature gets a key lookup; "" otherwise.
  std::string key_name;
  // Why there is no lookup: "" when key_name is set, else a short reason ("tag list syntax",
  // "unsupported algorithm rsa-sha1", "not checked: more than 10 signatures", ...).
  std::string problem;
  bool beyond_limit = false;  // one of the fields after the first kMaxDkimSignatures
};

// Every DKIM-Signature field in header order. A signature gets a key_name only when its tag
// list parses, v=1, d= and s= form a valid DNS name, a= is rsa-sha256 or ed25519-sha256 (rsa-sha1
// is refused without a key, RFC 8301 §3.1) and q=, when present, offers dns/txt (§3.5).
std::vector<DkimSignatureRef> dkim_signature_refs(const core::Message& message);

// The outcome of one key record lookup (RFC 6376 §6.1.2).
struct DkimKeyRecord {
  enum class Status {
    found,      // TXT records exist: `texts`
    absent,     // NXDOMAIN or NODATA: no key (PERMFAIL, "no key for signature")
    temperror,  // SERVFAIL or timeout (TEMPFAIL, "key unavailable")
  };
  Status status = Status::temperror;
  std::vector<std::string> texts;  // found: each TXT record's strings joined, in DNS order
  std::string detail;              // for logs: the DNS status or error
};

// Key name (lower-case "s._domainkey.d") -> its lookup outcome.
using DkimKeyRecords = std::map<std::string, DkimKeyRecord>;

const char* to_string(DkimKeyRecord::Status s);

}  // namespace hikyaku::auth
