// DMARC policy discovery, RFC 7489 §6.6.3 steps 1-6: the From domain's record, else the
// organizational domain's (§3.2 via libpsl); v=DMARC1 filtering; several records or none stop
// discovery; temporary DNS failures are temperror, never "no record".
#include "auth/dmarc_lookup.hpp"

#include "auth/org_domain.hpp"

namespace hikyaku::auth {

const char* to_string(DmarcRecordLookup::Status s) {
  switch (s) {
    case DmarcRecordLookup::Status::found: return "found";
    case DmarcRecordLookup::Status::none: return "none";
    case DmarcRecordLookup::Status::temperror: return "temperror";
    case DmarcRecordLookup::Status::invalid: return "invalid";
  }
  return "none";
}

DmarcRecordLookup classify_dmarc_records(const std::vector<std::string>& texts,
                                         const std::string& domain) {
  DmarcRecordLookup out;
  std::vector<const std::string*> candidates;
  for (const auto& t : texts) {
    if (is_dmarc_record(t)) candidates.push_back(&t);  // step 3: others are discarded
  }
  if (candidates.empty()) {
    out.detail = "no DMARC record at _dmarc." + domain;
    return out;
  }
  if (candidates.size() > 1) {  // step 5: several records -> DMARC does not apply
    out.detail = std::to_string(candidates.size()) + " DMARC records at _dmarc." + domain;
    out.record_domain = domain;
    return out;
  }
  out.record_domain = domain;
  out.text = *candidates.front();
  auto parsed = parse_dmarc_record(out.text);
  if (parsed) {
    out.status = DmarcRecordLookup::Status::found;
    out.record = std::move(*parsed);
    return out;
  }
  out.error = parsed.error();
  const auto code = parsed.error().code;
  if (code == DmarcRecordError::bad_policy || code == DmarcRecordError::missing_policy) {
    // Step 6: no valid p= and no valid rua=: "applies no DMARC processing".
    out.status = DmarcRecordLookup::Status::none;
    out.detail = "no valid p= in the record at _dmarc." + domain;
  } else {
    out.status = DmarcRecordLookup::Status::invalid;
    out.detail = std::string(to_string(code)) + ": " + parsed.error().detail;
  }
  return out;
}

namespace {

// One TXT lookup at _dmarc.<domain>, or nullopt when the set of records there is empty (so the
// caller may go on to the organizational domain, step 4).
asio::awaitable<std::optional<DmarcRecordLookup>> at(dns::Resolver& resolver, const std::string& domain,
                                                     std::chrono::steady_clock::time_point deadline) {
  if (std::chrono::steady_clock::now() >= deadline) {
    DmarcRecordLookup out;
    out.status = DmarcRecordLookup::Status::temperror;
    out.detail = "_dmarc." + domain + " TXT: not looked up: the authentication lookup time ran out";
    co_return out;
  }
  const dns::DnsAnswer answer = co_await resolver.query("_dmarc." + domain, dns::RecordType::txt);
  if (answer.temporary_failure()) {
    DmarcRecordLookup out;
    out.status = DmarcRecordLookup::Status::temperror;
    out.detail = "_dmarc." + domain + " TXT: " + std::string(dns::to_string(answer.status)) +
                 (answer.detail.empty() ? "" : " (" + answer.detail + ")");
    co_return out;
  }
  if (!answer.ok()) co_return std::nullopt;  // NXDOMAIN / NODATA: an empty set
  DmarcRecordLookup out = classify_dmarc_records(answer.texts, domain);
  if (out.status == DmarcRecordLookup::Status::none && out.record_domain.empty() && !out.error) {
    co_return std::nullopt;  // only non-DMARC TXT records: also an empty set (step 3)
  }
  co_return out;
}

}  // namespace

asio::awaitable<DmarcRecordLookup> fetch_dmarc_record(dns::Resolver& resolver, const std::string& from_domain,
                                                      std::chrono::steady_clock::time_point deadline) {
  if (auto direct = co_await at(resolver, from_domain, deadline)) co_return std::move(*direct);
  const std::string org = organizational_domain(from_domain);
  if (org.empty() || org == from_domain) {
    DmarcRecordLookup none;
    none.detail = "no DMARC record at _dmarc." + from_domain;
    co_return none;
  }
  if (auto via_org = co_await at(resolver, org, deadline)) {
    via_org->from_org_domain = true;
    co_return std::move(*via_org);
  }
  DmarcRecordLookup none;
  none.detail = "no DMARC record at _dmarc." + from_domain + " or _dmarc." + org;
  co_return none;
}

}  // namespace hikyaku::auth
