// DMARC record diagnosis: RFC 7489 §6.1 (the record at _dmarc.<domain>), §6.6.3 (one record,
// the organizational-domain fallback), §6.3 p/sp, §7.1 (rua/ruf at another domain need
// "<domain>._report._dmarc.<dest>"), and np= of RFC 9989 (its successor). Parsing reuses
// auth::parse_dmarc_record, the relay's own parser.
#include <fmt/format.h>

#include "auth/dmarc_record.hpp"
#include "doctor/public_suffix.hpp"
#include "auth/tag_list.hpp"
#include "core/ascii.hpp"
#include "dns/names.hpp"
#include "doctor/checks.hpp"

namespace hikyaku::doctor {

namespace {

std::vector<std::string> dmarc_records(const dns::DnsAnswer& txt) {
  std::vector<std::string> out;
  for (const auto& t : txt.texts) {
    if (auth::is_dmarc_record(t)) out.push_back(t);
  }
  return out;
}

std::string_view policy_name(auth::DmarcPolicy p) {
  switch (p) {
    case auth::DmarcPolicy::none: return "none";
    case auth::DmarcPolicy::quarantine: return "quarantine";
    case auth::DmarcPolicy::reject: return "reject";
  }
  return "?";
}

int strength(auth::DmarcPolicy p) { return p == auth::DmarcPolicy::reject ? 2 : p == auth::DmarcPolicy::quarantine ? 1 : 0; }

// The domain of a "mailto:" report URI ("mailto:a@b.example!10m" -> "b.example").
std::optional<std::string> mailto_domain(std::string_view uri) {
  if (uri.size() < 7 || !core::ascii_iequals(uri.substr(0, 7), "mailto:")) return std::nullopt;
  std::string_view rest = uri.substr(7);
  if (const size_t bang = rest.find('!'); bang != std::string_view::npos) rest = rest.substr(0, bang);
  const size_t at = rest.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  return dns::normalise_name(rest.substr(at + 1));
}

}  // namespace

void check_dmarc(const DoctorOptions& o, Lookup& lookup, Report& report) {
  const std::string& domain = o.domain;
  const std::string name = "_dmarc." + domain;
  const dns::DnsAnswer* txt = lookup.get(name, dns::RecordType::txt);
  const dns::DnsAnswer* apex = lookup.get(domain, dns::RecordType::txt);
  if (txt == nullptr || apex == nullptr) return;
  const std::string starter = fmt::format("{}. 3600 IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@{}\"", name, domain);
  if (apex->ok() && !dmarc_records(*apex).empty()) {
    report.add(Severity::warn, "dmarc.apex", domain,
               "a DMARC record is published at the domain itself, where receivers never look (RFC 7489 §6.1)",
               fmt::format("move it to {}.", name));
  }
  if (txt->temporary_failure()) {
    report.add(Severity::unknown, "dmarc.unknown", name,
               fmt::format("the DMARC lookup failed ({}): the policy cannot be judged", dns::to_string(txt->status)));
    return;
  }
  const auto records = dmarc_records(*txt);
  if (records.empty()) {
    const std::string org = psl_organizational_domain(domain);
    if (!org.empty() && org != domain) {
      const dns::DnsAnswer* org_txt = lookup.get("_dmarc." + org, dns::RecordType::txt);
      if (org_txt == nullptr) return;
      const auto org_records = dmarc_records(*org_txt);
      if (org_records.size() == 1) {
        if (auto parsed = auth::parse_dmarc_record(org_records.front());
            parsed && parsed->policy_state != auth::PolicyState::unusable) {
          report.add(Severity::info, "dmarc.missing", name,
                     fmt::format("no record here; the organizational domain {}'s record applies with policy {} "
                                 "(RFC 7489 §6.6.3)",
                                 org, policy_name(parsed->sp.value_or(parsed->p))),
                     "publish a record here only if this domain needs its own policy");
          return;
        }
      }
    }
    report.add(Severity::warn, "dmarc.missing", name,
               "no DMARC record: receivers apply no policy to mail forged in this domain's name, and large "
               "mailbox providers expect one from senders",
               starter);
    return;
  }
  if (records.size() > 1) {
    report.add(Severity::error, "dmarc.multiple", name,
               fmt::format("{} DMARC records: receivers ignore them all (RFC 7489 §6.6.3)", records.size()),
               "keep exactly one: " + starter);
    return;
  }
  auto parsed = auth::parse_dmarc_record(records.front());
  if (!parsed) {
    report.add(Severity::error, "dmarc.invalid", name,
               fmt::format("the record is invalid ({}{}): receivers ignore it", auth::to_string(parsed.error().code),
                           parsed.error().detail.empty() ? "" : ": " + parsed.error().detail),
               starter);
    return;
  }
  const auth::DmarcRecord& r = *parsed;
  if (r.policy_state == auth::PolicyState::unusable) {
    report.add(Severity::error, "dmarc.invalid", name,
               "no valid p= and no valid rua=: receivers apply no DMARC processing (RFC 9989 §4.10.1)", starter);
    return;
  }
  for (const auto& note : r.notes) {
    report.add(Severity::warn, "dmarc.syntax", name, note + ": receivers ignore it",
               "remove or correct it");
  }
  if (r.policy_state == auth::PolicyState::defaulted) {
    report.add(Severity::warn, "dmarc.invalid", name, "p= is missing or invalid; with rua= present it counts as p=none",
               "write p=none, p=quarantine or p=reject");
  } else if (r.p == auth::DmarcPolicy::none) {
    report.add(Severity::warn, "dmarc.policy_none", name,
               "p=none: monitoring only, forged mail is still delivered",
               "once the reports show all legitimate mail passing, move to p=quarantine, then p=reject");
  }
  if (r.sp && strength(*r.sp) < strength(r.p)) {
    report.add(Severity::info, "dmarc.subdomain_policy", name,
               fmt::format("sp={} is weaker than p={}: subdomains are less protected", policy_name(*r.sp), policy_name(r.p)),
               "intended only if subdomains send mail that does not pass yet");
  }
  if (auto tags = auth::parse_tag_list(records.front())) {
    if (const std::string* np = tags->find("np")) {
      const bool valid = *np == "none" || *np == "quarantine" || *np == "reject";
      report.add(valid ? Severity::info : Severity::warn, "dmarc.subdomain_policy", name,
                 valid ? fmt::format("np={}: the policy for non-existent subdomains (RFC 9989)", *np)
                       : fmt::format("np={} is not none, quarantine or reject (RFC 9989)", *np),
                 valid ? "" : "write np=reject (nobody sends from names that do not exist)");
    }
  }
  // Report destinations at another organizational domain must agree to receive (§7.1).
  const std::string own_org = psl_organizational_domain(domain);
  std::vector<std::pair<std::string, std::string>> external;  // (tag, dest)
  for (const auto& [tag, uris] : {std::pair{"rua", &r.rua}, std::pair{"ruf", &r.ruf}}) {
    for (const auto& uri : *uris) {
      auto dest = mailto_domain(uri);
      if (!dest || psl_organizational_domain(*dest) == own_org) continue;
      external.emplace_back(tag, *dest);
    }
  }
  bool pending = false;
  for (const auto& [tag, dest] : external) {
    const std::string auth_name = domain + "._report._dmarc." + dest;
    const dns::DnsAnswer* a = lookup.get(auth_name, dns::RecordType::txt);
    if (a == nullptr) {
      pending = true;
      continue;
    }
    if (a->temporary_failure()) {
      report.add(Severity::unknown, "dmarc.report_auth", auth_name, "the authorization lookup failed");
    } else if (dmarc_records(*a).empty()) {
      report.add(Severity::warn, "dmarc.report_auth", auth_name,
                 fmt::format("{}= sends reports to {}, which has not authorized it (RFC 7489 §7.1): receivers send "
                             "no reports there",
                             tag, dest),
                 fmt::format("the owner of {} publishes: {}. 3600 IN TXT \"v=DMARC1\"", dest, auth_name));
    }
  }
  if (pending) return;
  report.add(Severity::ok, "dmarc.ok", name, fmt::format("\"{}\": policy {}", records.front(), policy_name(r.p)));
}

}  // namespace hikyaku::doctor
