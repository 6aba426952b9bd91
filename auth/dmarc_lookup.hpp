// DMARC policy discovery, RFC 7489 §6.6.3: TXT at _dmarc.<From domain>, else at
// _dmarc.<organizational domain> (§3.2); only records starting with "v=DMARC1" count; more
// than one is no policy; a temporary DNS failure is temperror. DNS through dns::Resolver.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "auth/dmarc_record.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

namespace asio = boost::asio;

struct DmarcRecordLookup {
  enum class Status {
    found,      // one DMARC record, parsed
    none,       // no record, several records, or one without a valid p= and rua= (§6.6.3)
    temperror,  // a DNS lookup failed temporarily (RFC 7489 §6.6.3, §11.2 temperror)
    invalid,    // one record that does not parse (-> permerror)
  };
  Status status = Status::none;
  std::string record_domain;     // where the record was found, e.g. "example.com" (found/invalid)
  bool from_org_domain = false;  // found at the organizational domain, not at the From domain
  std::string text;              // the record as published (found/invalid)
  std::optional<DmarcRecord> record;           // found
  std::optional<DmarcRecordParseError> error;  // invalid, or none because of §6.6.3 step 6
  std::string detail;            // for logs: "2 DMARC records at _dmarc.example.com", DNS detail
};

const char* to_string(DmarcRecordLookup::Status s);

// The records among TXT `texts` at one name, classified as one lookup (no org-domain step).
DmarcRecordLookup classify_dmarc_records(const std::vector<std::string>& texts,
                                         const std::string& domain);

// `from_domain` as from_domain() gives it (lower-case A-labels). The org domain comes from
// the system Public Suffix List. A lookup due after `deadline` is not made: temperror.
asio::awaitable<DmarcRecordLookup> fetch_dmarc_record(
    dns::Resolver& resolver, const std::string& from_domain,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

}  // namespace hikyaku::auth
