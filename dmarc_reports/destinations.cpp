// RFC 9990 "Report Delivery" (every URI in order, malformed ones ignored) and "Verifying
// External Destinations" (steps 1-9): Organizational Domains by the RFC 9989 §4.10.2 Tree Walk,
// the authorization TXT record, its rua= override kept only on the same destination host.
#include "dmarc_reports/destinations.hpp"

#include <algorithm>
#include <cctype>

#include "auth/dmarc_record.hpp"
#include "auth/dmarc_tree_walk.hpp"
#include "auth/org_domain.hpp"
#include "core/address.hpp"
#include "core/percent.hpp"

namespace hikyaku::dmarc_reports {

std::optional<MailtoDestination> parse_mailto(std::string_view uri) {
  constexpr std::string_view kScheme = "mailto:";
  if (uri.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(uri[i])) != kScheme[i]) return std::nullopt;
  }
  std::string_view rest = uri.substr(kScheme.size());
  // RFC 7489 §6.2's size limit "!" 1*DIGIT [unit]: '!' cannot occur in a URI's addr part
  // unencoded, so a '!' ends the address.
  if (const size_t bang = rest.find('!'); bang != std::string_view::npos) rest = rest.substr(0, bang);
  if (const size_t q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);
  const auto decoded = core::percent_decode(rest);
  if (!decoded || decoded->empty() || decoded->find(',') != std::string::npos) return std::nullopt;
  for (const char c : *decoded) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f) return std::nullopt;
  }
  const auto mailbox = core::parse_mailbox(*decoded, false);
  if (!mailbox || mailbox->domain.empty() || mailbox->domain.front() == '[') return std::nullopt;
  return MailtoDestination{std::string(uri), mailbox->str(), mailbox->domain};
}

std::vector<std::string> authorizing_records(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const auto& t : texts) {
    if (auth::is_dmarc_record(t)) out.push_back(t);
  }
  return out;
}

std::string authorization_name(std::string_view policy_domain, std::string_view destination_host) {
  const std::string name =
      auth::normalise_domain(policy_domain) + "._report._dmarc." + auth::normalise_domain(destination_host);
  if (name.size() > 253) return "";  // RFC 1035 §2.3.4: 255 octets on the wire
  size_t start = 0;
  while (start <= name.size()) {
    const size_t dot = name.find('.', start);
    const size_t len = (dot == std::string::npos ? name.size() : dot) - start;
    if (len == 0 || len > 63) return "";
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return name;
}

asio::awaitable<Destinations> report_destinations(dns::Resolver& resolver, std::string policy_domain,
                                                  std::vector<std::string> rua) {
  Destinations out;
  auto add = [&out](MailtoDestination d) {
    const bool seen = std::any_of(out.send_to.begin(), out.send_to.end(),
                                  [&d](const MailtoDestination& x) { return x.address == d.address; });
    if (!seen) out.send_to.push_back(std::move(d));
  };
  policy_domain = auth::normalise_domain(policy_domain);
  std::optional<std::optional<std::string>> policy_org;  // asked once, when first needed
  for (const auto& uri : rua) {
    auto dest = parse_mailto(uri);
    if (!dest) {
      out.skipped.push_back(uri + ": not a mailto: URI with one address (RFC 9990 defines only mailto)");
      continue;
    }
    if (!policy_org) policy_org = co_await auth::walk_organizational_domain(resolver, policy_domain);
    const std::optional<std::string> dest_org = co_await auth::walk_organizational_domain(resolver, dest->domain);
    if (!*policy_org || !dest_org) {
      out.temporary_failure = true;
      out.skipped.push_back(uri + ": Organizational Domain not known (DNS failure)");
      continue;
    }
    if (**policy_org == *dest_org) {
      add(std::move(*dest));
      continue;
    }
    // Steps 1-8: the destination host's consent for this policy domain.
    const std::string name = authorization_name(policy_domain, dest->domain);
    if (name.empty()) {
      out.skipped.push_back(uri + ": external destination not authorized (name too long)");
      continue;
    }
    const dns::DnsAnswer answer = co_await resolver.query(name, dns::RecordType::txt);
    if (dns::is_temporary(answer.status)) {
      out.temporary_failure = true;
      out.skipped.push_back(uri + ": " + name + " TXT lookup failed");
      continue;
    }
    const auto consents =
        authorizing_records(answer.status == dns::DnsStatus::ok ? answer.texts : std::vector<std::string>{});
    if (consents.empty()) {
      out.skipped.push_back(uri + ": external destination not authorized (no v=DMARC1 TXT at " + name + ")");
      continue;
    }
    // Step 9: the consenting record's rua= replaces the URI, on the same destination host only;
    // another host there means no report to either.
    const auto record = auth::parse_dmarc_record(consents.front());
    if (!record || record->rua.empty()) {
      add(std::move(*dest));
      continue;
    }
    std::vector<MailtoDestination> overrides;
    bool other_host = false;
    for (const auto& o : record->rua) {
      auto od = parse_mailto(o);
      if (!od) continue;
      if (od->domain != dest->domain) other_host = true;
      overrides.push_back(std::move(*od));
    }
    if (other_host) {
      out.skipped.push_back(uri + ": the authorizing record at " + name + " names another host");
      continue;
    }
    if (overrides.empty()) {
      add(std::move(*dest));
    } else {
      for (auto& o : overrides) add(std::move(o));
    }
  }
  co_return out;
}

}  // namespace hikyaku::dmarc_reports
