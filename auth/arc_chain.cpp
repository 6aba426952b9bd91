// ARC chain validation with keys fetched through dns/: key names from the ARC-Seal and AMS tag
// lists (d=, s=; RFC 8617 §4.1.2-§4.1.3), TXT lookups, then RFC 8617 §5.2 over the records.
#include "auth/arc_chain.hpp"

#include "auth/tag_list.hpp"
#include "core/address.hpp"
#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

// RFC 8617 §4.2.1: at most 50 instances, each with one ARC-Seal and one AMS signer.
constexpr size_t kMaxKeyNames = 100;

}  // namespace

asio::awaitable<ArcKeyRecords> fetch_arc_keys(dns::Resolver& resolver, const core::Message& msg) {
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
    keys.emplace(core::ascii_lower(*s + "._domainkey." + *d), std::nullopt);
  }
  for (auto& [name, record] : keys) {
    const auto answer = co_await resolver.query(name, dns::RecordType::txt);
    if (answer.ok() && !answer.texts.empty()) record = answer.texts.front();
  }
  co_return keys;
}

ArcResult verify_arc_with(const core::Message& msg, const ArcKeyRecords& keys) {
  return arc_verify(msg, [&keys](const std::string& name) -> std::optional<std::string> {
    const auto it = keys.find(name);
    return it == keys.end() ? std::nullopt : it->second;
  });
}

asio::awaitable<ArcResult> verify_arc_chain(dns::Resolver& resolver, const core::Message& msg) {
  const ArcKeyRecords keys = co_await fetch_arc_keys(resolver, msg);
  co_return verify_arc_with(msg, keys);
}

}  // namespace hikyaku::auth
