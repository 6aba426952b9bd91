// ARC chain validation with keys fetched through dns/: key names from the ARC-Seal and AMS tag
// lists (d=, s=; RFC 8617 §4.1.2-§4.1.3), TXT lookups, then RFC 8617 §5.2 over the records.
#include "auth/arc_chain.hpp"

#include <set>

#include "auth/tag_list.hpp"
#include "core/address.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

// RFC 8617 §4.2.1: at most 50 instances, each with one ARC-Seal and one AMS signer.
constexpr size_t kMaxKeyNames = 100;

}  // namespace

asio::awaitable<ArcKeyRecords> fetch_arc_keys(dns::Resolver& resolver, const core::Message& msg,
                                              std::chrono::steady_clock::time_point deadline) {
  ArcKeyRecords keys;
  for (const auto& field : msg.fields()) {
    if (keys.size() >= kMaxKeyNames) break;  // a chain this long fails validation anyway
    const auto name = msg.field_name(field);
    if (!core::ascii_iequals(name, "ARC-Seal") && !core::ascii_iequals(name, "ARC-Message-Signature")) {
      continue;
    }
    auto tags = parse_tag_list(msg.field_value(field));
    if (!tags) continue;  // the verifier reports the malformed field
    const std::string* d = tags->find("d");
    const std::string* s = tags->find("s");
    if (!d || !s) continue;
    keys.emplace(core::ascii_lower(*s + "._domainkey." + *d), ArcKeyRecord{});
  }
  for (auto& [name, record] : keys) {
    if (std::chrono::steady_clock::now() >= deadline) continue;  // stays temperror, no query
    const auto answer = co_await resolver.query(name, dns::RecordType::txt);
    if (answer.temporary_failure()) {
      record.status = ArcKeyRecord::Status::temperror;
    } else if (answer.ok() && !answer.texts.empty()) {
      record.status = ArcKeyRecord::Status::found;
      record.text = answer.texts.front();
    } else {
      record.status = ArcKeyRecord::Status::absent;
    }
  }
  co_return keys;
}

ArcResult verify_arc_with(const core::Message& msg, const ArcKeyRecords& keys) {
  std::set<std::string> unavailable;  // temperror keys the verifier asked for
  ArcResult result = arc_verify(msg, [&keys, &unavailable](const std::string& name) -> std::optional<std::string> {
    const auto it = keys.find(name);
    if (it == keys.end()) return std::nullopt;
    if (it->second.status == ArcKeyRecord::Status::temperror) unavailable.insert(name);
    if (it->second.status != ArcKeyRecord::Status::found) return std::nullopt;
    return it->second.text;
  });
  if (result.cv != ArcResult::Cv::fail) return result;
  // A missing key fails the check that asked for it at once ("... no key record at NAME",
  // auth/arc_verify.cpp); a key asked for only by step 5 (oldest-pass) fails nothing, so only
  // a failure naming an unavailable key is temporary.
  for (const auto& name : unavailable) {
    const std::string missing = "no key record at " + name;
    if (result.reason.size() >= missing.size() &&
        result.reason.compare(result.reason.size() - missing.size(), missing.size(), missing) == 0) {
      result.temporary = true;
      result.reason = result.reason.substr(0, result.reason.size() - missing.size()) +
                      "key lookup failed temporarily at " + name;
      break;
    }
  }
  return result;
}

asio::awaitable<ArcResult> verify_arc_chain(dns::Resolver& resolver, const core::Message& msg) {
  const ArcKeyRecords keys = co_await fetch_arc_keys(resolver, msg);
  co_return verify_arc_with(msg, keys);
}

}  // namespace hikyaku::auth
