// Where a DMARC Policy Domain's aggregate reports go (RFC 9990 "Report Delivery", "Verifying
// External Destinations"): the rua= URIs in order, mailto: only (the one scheme RFC 9990
// defines; others are skipped and said why), and a destination at another Organizational
// Domain only when "<policy-domain>._report._dmarc.<destination host>" publishes a TXT record
// starting with v=DMARC1, whose own rua= may replace it on the same host. DNS through dns/.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "dns/resolver.hpp"

namespace hikyaku::dmarc_reports {

namespace asio = boost::asio;

struct MailtoDestination {
  std::string uri;      // as written in the record
  std::string address;  // "local@domain", percent-decoded (RFC 6068 §2)
  std::string domain;   // the destination host: lower-case A-labels
  bool operator==(const MailtoDestination&) const = default;
};

// "mailto:addr" (scheme in any case) with an optional "!size" suffix (RFC 7489's, ignored) and
// any "?hfields" ignored; exactly one valid mailbox. nullopt for another scheme or a bad URI.
std::optional<MailtoDestination> parse_mailto(std::string_view uri);

// Step 6 of "Verifying External Destinations": the TXT texts that start with the v=DMARC1 tag.
std::vector<std::string> authorizing_records(const std::vector<std::string>& texts);

// The name queried in steps 1-3, or "" when it exceeds DNS limits (step 4: not authorized).
std::string authorization_name(std::string_view policy_domain, std::string_view destination_host);

struct Destinations {
  std::vector<MailtoDestination> send_to;  // in rua= order, no address twice
  std::vector<std::string> skipped;        // "URI: why", one each, for the log
  bool temporary_failure = false;          // a DNS answer needed was not available
};

// The destinations of `rua` (the record's URIs as written) for `policy_domain`.
asio::awaitable<Destinations> report_destinations(dns::Resolver& resolver, std::string policy_domain,
                                                  std::vector<std::string> rua);

}  // namespace hikyaku::dmarc_reports
