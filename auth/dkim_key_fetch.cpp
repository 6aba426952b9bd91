// The key TXT lookups of RFC 6376 §3.6.2.2 for the signatures dkim_signature_refs() picks,
// with the outcomes of §6.1.2: NXDOMAIN/NODATA = no key (PERMFAIL), SERVFAIL/timeout =
// key unavailable (TEMPFAIL). One query at a time, each bounded by the resolver's timeout.
#include "auth/dkim_key_fetch.hpp"

#include <set>
#include <string>

namespace hikyaku::auth {

asio::awaitable<DkimKeyRecords> fetch_dkim_keys(dns::Resolver& resolver, const core::Message& message,
                                                std::chrono::steady_clock::time_point deadline) {
  DkimKeyRecords records;
  std::set<std::string> names;
  for (const auto& ref : dkim_signature_refs(message)) {
    if (!ref.key_name.empty()) names.insert(ref.key_name);
  }
  for (const auto& name : names) {
    if (std::chrono::steady_clock::now() >= deadline) {
      DkimKeyRecord skipped;  // status temperror: the message is deferred, never refused for it
      skipped.detail = "not looked up: the authentication lookup time ran out";
      records.emplace(name, std::move(skipped));
      continue;
    }
    const dns::DnsAnswer answer = co_await resolver.query(name, dns::RecordType::txt);
    DkimKeyRecord record;
    if (answer.ok()) {
      record.status = DkimKeyRecord::Status::found;
      record.texts = answer.texts;
    } else if (answer.permanent_failure()) {
      record.status = DkimKeyRecord::Status::absent;
    } else {
      record.status = DkimKeyRecord::Status::temperror;
    }
    record.detail = std::string(dns::to_string(answer.status));
    if (!answer.detail.empty()) record.detail += ": " + answer.detail;
    records.emplace(name, std::move(record));
  }
  co_return records;
}

}  // namespace hikyaku::auth
