// DMARC record diagnosis after RFC 9989: policy discovery and the Organizational Domain from
// the DNS Tree Walk (§4.10, §4.10.1, §4.10.2; no Public Suffix List), the record at
// _dmarc.<domain> (one record, §4.10 step 2), p/sp/np (§4.7, §4.10.1), psd= and t= (§4.7), and
// report destinations at another Organizational Domain, which must agree to receive
// ("<domain>._report._dmarc.<dest>", RFC 7489 §7.1). Parsing and the walk's rules reuse auth/.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "auth/dmarc_lookup.hpp"
#include "auth/dmarc_record.hpp"
#include "auth/dmarc_tree_walk.hpp"
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

// RFC 9989 §4.10 over the gathered answers: every name the walk may ask is asked at once, then
// read in walk order as auth::tree_walk reads them (stopping at psd=y or psd=n, incomplete at a
// temporary failure). nullopt while answers are missing.
std::optional<auth::TreeWalk> walk_tree(Lookup& lookup, const std::string& domain) {
  auth::TreeWalk walk;
  walk.start = auth::normalise_domain(domain);
  const auto targets = auth::tree_walk_targets(walk.start);
  std::vector<const dns::DnsAnswer*> answers;
  for (const auto& t : targets) answers.push_back(lookup.get("_dmarc." + t, dns::RecordType::txt));
  for (size_t i = 0; i < targets.size(); ++i) {
    if (answers[i] == nullptr) return std::nullopt;
    walk.queried.push_back(targets[i]);
    if (answers[i]->temporary_failure()) {
      walk.failure = "_dmarc." + targets[i] + " TXT: " + std::string(dns::to_string(answers[i]->status));
      return walk;
    }
    if (!answers[i]->ok()) continue;
    auto found = auth::single_dmarc_record(answers[i]->texts, targets[i], walk.notes);
    if (!found) continue;
    const bool stop = found->record.psd != auth::PsdFlag::unspecified;
    walk.records.push_back(std::move(*found));
    if (stop) break;
  }
  walk.complete = true;
  return walk;
}

std::string_view source_name(auth::DmarcPolicySource s) {
  switch (s) {
    case auth::DmarcPolicySource::author_domain: return "the domain itself";
    case auth::DmarcPolicySource::organizational_domain: return "its organizational domain";
    case auth::DmarcPolicySource::public_suffix_domain: return "its public suffix domain";
  }
  return "?";
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
               "a DMARC record is published at the domain itself, where receivers never look (RFC 9989 §4.10)",
               fmt::format("move it to {}.", name));
  }
  if (txt->temporary_failure()) {
    report.add(Severity::unknown, "dmarc.unknown", name,
               fmt::format("the DMARC lookup failed ({}): the policy cannot be judged", dns::to_string(txt->status)));
    return;
  }
  // RFC 9989 §4.10.1: the policy comes from the DNS Tree Walk; §3.2.13: the domain does not
  // exist when its own lookup is NXDOMAIN (then np= rather than sp= applies to it).
  const auto walk = walk_tree(lookup, domain);
  if (!walk) return;
  const std::optional<bool> exists = apex->temporary_failure()
                                         ? std::nullopt
                                         : std::optional<bool>(apex->status != dns::DnsStatus::nxdomain);
  const auth::DmarcRecordLookup found = auth::discover_policy(auth::normalise_domain(domain), *walk, exists);
  const auto org = auth::organizational_domain(*walk);
  const auto records = dmarc_records(*txt);
  if (found.status == auth::DmarcRecordLookup::Status::temperror && records.size() <= 1) {
    report.add(Severity::unknown, "dmarc.unknown", name,
               fmt::format("the DNS tree walk could not finish ({}): the policy cannot be judged", found.detail));
    return;
  }
  if (found.status == auth::DmarcRecordLookup::Status::found || !found.record_domain.empty()) {
    report.add(Severity::info, "dmarc.policy_domain", domain,
               fmt::format("DMARC policy domain {} ({}), organizational domain {} (DNS tree walk, RFC 9989 "
                           "§4.10.1-4.10.2; asked: {})",
                           found.record_domain, source_name(found.source), org.value_or("unknown"),
                           fmt::join(walk->queried, ", ")));
  }
  if (records.empty()) {
    if (found.status == auth::DmarcRecordLookup::Status::found) {
      report.add(Severity::info, "dmarc.missing", name,
                 fmt::format("no record here; the record of {} ({}) applies with policy {} (its {}= tag; RFC 9989 "
                             "§4.10.1)",
                             found.record_domain, source_name(found.source), policy_name(found.policy),
                             found.policy_tag),
                 "publish a record here only if this domain needs its own policy");
      return;
    }
    report.add(Severity::warn, "dmarc.missing", name,
               "no DMARC record here or above (DNS tree walk, RFC 9989 §4.10): receivers apply no policy to mail "
               "forged in this domain's name, and large mailbox providers expect one from senders",
               starter);
    return;
  }
  if (records.size() > 1) {
    report.add(Severity::error, "dmarc.multiple", name,
               fmt::format("{} DMARC records: receivers ignore them all (RFC 9989 §4.10 step 2)", records.size()),
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
  if (r.np) {
    report.add(Severity::info, "dmarc.subdomain_policy", name,
               fmt::format("np={}: the policy for non-existent subdomains (RFC 9989 §4.7)", policy_name(*r.np)));
  } else if (auto tags = auth::parse_tag_list(records.front()); tags && tags->find("np") != nullptr) {
    report.add(Severity::warn, "dmarc.subdomain_policy", name,
               fmt::format("np={} is not none, quarantine or reject (RFC 9989 §4.7)", *tags->find("np")),
               "write np=reject (nobody sends from names that do not exist)");
  }
  if (r.psd == auth::PsdFlag::yes) {
    report.add(Severity::warn, "dmarc.psd", name,
               "psd=y declares this domain a Public Suffix Domain (RFC 9989 §4.7): the domains below it become "
               "organizational domains of their own, and its policy reaches them only where they publish none",
               "remove psd=y unless this domain is a public suffix operated for others");
  } else if (r.psd == auth::PsdFlag::no) {
    report.add(Severity::info, "dmarc.psd", name,
               "psd=n: this domain declares itself an organizational domain; the DNS tree walk stops here "
               "(RFC 9989 §4.10.2)");
  }
  if (r.testing) {
    report.add(Severity::warn, "dmarc.testing", name,
               fmt::format("t=y: testing mode, receivers apply a policy one level below p={} (RFC 9989 §4.7)",
                           policy_name(r.p)),
               "remove t=y once the reports show all legitimate mail passing");
  }
  // Report destinations at another organizational domain must agree to receive (§7.1); each
  // organizational domain is found by its own DNS tree walk (RFC 9989 §4.10.2).
  if (!org) {
    report.add(Severity::unknown, "dmarc.unknown", name,
               fmt::format("the DNS tree walk could not finish ({}): the organizational domain, and so whether "
                           "report destinations are external, is unknown",
                           walk->failure));
    return;
  }
  bool pending = false;
  std::vector<std::pair<std::string, std::string>> external;  // (tag, dest)
  for (const auto& [tag, uris] : {std::pair{"rua", &r.rua}, std::pair{"ruf", &r.ruf}}) {
    for (const auto& uri : *uris) {
      auto dest = mailto_domain(uri);
      if (!dest) continue;
      const auto dest_walk = walk_tree(lookup, *dest);
      if (!dest_walk) {
        pending = true;
        continue;
      }
      const auto dest_org = auth::organizational_domain(*dest_walk);
      if (dest_org && *dest_org == *org) continue;
      external.emplace_back(tag, *dest);
    }
  }
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
  report.add(Severity::ok, "dmarc.ok", name,
             fmt::format("\"{}\": policy {}; policy domain {}, organizational domain {}", records.front(),
                         policy_name(r.p), found.record_domain.empty() ? domain : found.record_domain, *org));
}

}  // namespace hikyaku::doctor
