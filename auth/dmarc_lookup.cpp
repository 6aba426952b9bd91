// DMARC Policy Discovery, RFC 9989 §4.10.1 over the DNS Tree Walk of §4.10: the Author Domain's
// record, else the Organizational Domain's (§4.10.2), else the Public Suffix Domain's; the p, sp
// or np policy (§4.7) with non-existence as §3.2.13 defines it (NXDOMAIN, RFC 8020); a record
// without a valid p= and rua= means no DMARC processing; temporary failures are temperror.
#include "auth/dmarc_lookup.hpp"

namespace hikyaku::auth {

const char* to_string(DmarcRecordLookup::Status s) {
  switch (s) {
    case DmarcRecordLookup::Status::found: return "found";
    case DmarcRecordLookup::Status::none: return "none";
    case DmarcRecordLookup::Status::temperror: return "temperror";
  }
  return "none";
}

namespace {

DmarcPolicy existing_subdomain_policy(const DmarcRecord& r) { return r.sp.value_or(r.p); }
DmarcPolicy missing_subdomain_policy(const DmarcRecord& r) { return r.np.value_or(r.sp.value_or(r.p)); }

}  // namespace

DmarcRecordLookup discover_policy(const std::string& author_domain, TreeWalk walk, std::optional<bool> author_exists) {
  DmarcRecordLookup out;
  out.author_exists = author_exists;
  const TreeWalkRecord* chosen = walk.at(author_domain);
  if (chosen != nullptr) {
    // "If a valid DMARC Policy Record is found there, then this is the DMARC Policy Record to be
    // applied" - whatever the rest of the walk gives (it only decides the Organizational Domain).
    out.source = DmarcPolicySource::author_domain;
  } else if (!walk.complete) {
    out.status = DmarcRecordLookup::Status::temperror;
    out.detail = walk.failure;
    out.walk = std::move(walk);
    return out;
  } else if (const auto org = organizational_domain(walk); org && (chosen = walk.at(*org)) != nullptr) {
    out.source = DmarcPolicySource::organizational_domain;
  } else if (!walk.records.empty() && walk.records.back().record.psd == PsdFlag::yes) {
    // The walk stopped at psd=y and the Organizational Domain below it has no record: the
    // Public Suffix Domain's record applies (§4.10.1 list; the note: never for an
    // Organizational Domain that has a record of its own).
    chosen = &walk.records.back();
    out.source = DmarcPolicySource::public_suffix_domain;
  } else {
    // "If the set produced by the DNS Tree Walk contains no DMARC Policy Record ... Mail
    // Receivers MUST NOT apply the DMARC mechanism to the message."
    out.detail = "no DMARC record at _dmarc." + author_domain + " or above";
    out.walk = std::move(walk);
    return out;
  }
  out.record_domain = chosen->domain;
  out.text = chosen->text;
  const DmarcRecord& rec = chosen->record;
  if (rec.policy_state == PolicyState::unusable) {
    // §4.10.1: no valid p= (or an invalid sp=/np=) and no valid rua=: no DMARC processing.
    out.detail = "the record at _dmarc." + out.record_domain + " has no valid p= and no valid rua=";
    out.walk = std::move(walk);
    return out;
  }
  out.status = DmarcRecordLookup::Status::found;
  out.record = rec;
  if (out.source == DmarcPolicySource::author_domain) {
    out.policy = rec.p;  // "the Domain Owner Assessment Policy is taken from the p tag"
    out.policy_tag = "p";
  } else if (existing_subdomain_policy(rec) == missing_subdomain_policy(rec)) {
    // The Author Domain is a subdomain of the record's domain; sp and np give the same answer,
    // so whether it exists does not matter and is not asked.
    out.policy = existing_subdomain_policy(rec);
    out.policy_tag = rec.sp ? "sp" : "p";
  } else if (!author_exists) {
    out.status = DmarcRecordLookup::Status::temperror;
    out.needs_existence = true;
    out.detail = "whether " + author_domain + " exists is not known";
  } else if (*author_exists) {
    out.policy = existing_subdomain_policy(rec);  // §4.10.1: sp if the Author Domain exists
    out.policy_tag = rec.sp ? "sp" : "p";
  } else {
    out.policy = missing_subdomain_policy(rec);  // §4.10.1: np if it does not (§3.2.13)
    out.policy_tag = "np";
  }
  out.walk = std::move(walk);
  return out;
}

asio::awaitable<DmarcRecordLookup> fetch_dmarc_record(dns::Resolver& resolver, const std::string& author_domain,
                                                      std::chrono::steady_clock::time_point deadline) {
  TreeWalk walk = co_await tree_walk(resolver, author_domain, deadline);
  DmarcRecordLookup out = discover_policy(author_domain, walk, std::nullopt);
  if (!out.needs_existence) co_return out;
  // RFC 9989 §3.2.13 / Appendix A.4: a domain does not exist when a query for it gets NXDOMAIN
  // (any type; RFC 8020). NODATA or an answer: it exists.
  if (std::chrono::steady_clock::now() >= deadline) {
    out.detail = author_domain + " A: not looked up: the authentication lookup time ran out";
    co_return out;
  }
  std::string name = author_domain;
  const dns::DnsAnswer answer = co_await resolver.query(std::move(name), dns::RecordType::a);
  if (answer.temporary_failure()) {
    out.detail = author_domain + " A: " + std::string(dns::to_string(answer.status)) +
                 (answer.detail.empty() ? "" : " (" + answer.detail + ")");
    co_return out;
  }
  co_return discover_policy(author_domain, std::move(walk), answer.status != dns::DnsStatus::nxdomain);
}

}  // namespace hikyaku::auth
