// ZoneFileResolver: master files (RFC 1035 §5) loaded once, answered from memory.
#include "dns/zone_file_resolver.hpp"

#include <utility>

#include <boost/asio.hpp>

namespace hikyaku::dns {

namespace {

core::Expected<ZoneFileResolver, std::vector<ZoneError>> build(std::vector<ZoneRecord> records,
                                                              std::vector<ZoneError> errors) {
  if (!errors.empty()) return core::unexpected(std::move(errors));
  auto zone = Zone::build(std::move(records));
  if (!zone) return core::unexpected(zone.error());
  return ZoneFileResolver(std::move(*zone));
}

}  // namespace

core::Expected<ZoneFileResolver, std::vector<ZoneError>> ZoneFileResolver::load(
    const std::vector<std::string>& paths, const ZoneFileOptions& options) {
  std::vector<ZoneRecord> records;
  std::vector<ZoneError> errors;
  for (const auto& path : paths) {
    auto parsed = load_zone_file(path, options);
    if (!parsed) {
      errors.insert(errors.end(), parsed.error().begin(), parsed.error().end());
      continue;
    }
    std::move(parsed->begin(), parsed->end(), std::back_inserter(records));
  }
  return build(std::move(records), std::move(errors));
}

core::Expected<ZoneFileResolver, std::vector<ZoneError>> ZoneFileResolver::from_text(
    std::string_view text, std::string_view file, const ZoneFileOptions& options) {
  auto parsed = parse_zone(text, file, options);
  if (!parsed) return core::unexpected(parsed.error());
  return build(std::move(*parsed), {});
}

asio::awaitable<DnsAnswer> ZoneFileResolver::query(std::string name, RecordType type) {
  co_return zone_.lookup(name, type);
}

}  // namespace hikyaku::dns
