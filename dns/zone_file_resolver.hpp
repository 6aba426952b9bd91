// A Resolver answering from RFC 1035 master files held in memory (zone.hpp): for unit tests
// and the offline CLI verbs (`auth --zone FILE`, `arc verify --zone FILE`). No network.
#pragma once
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "dns/resolver.hpp"
#include "dns/zone.hpp"

namespace hikyaku::dns {

class ZoneFileResolver final : public Resolver {
 public:
  explicit ZoneFileResolver(Zone zone) : zone_(std::move(zone)) {}

  // Reads and indexes the files; every error of every file as FILE:LINE: message.
  static core::Expected<ZoneFileResolver, std::vector<ZoneError>> load(
      const std::vector<std::string>& paths, const ZoneFileOptions& options = {});
  // The same from text, `file` naming it in errors (tests).
  static core::Expected<ZoneFileResolver, std::vector<ZoneError>> from_text(
      std::string_view text, std::string_view file = "zone", const ZoneFileOptions& options = {});

  // Completes at once, on the caller's executor. Thread-safe: the data never changes.
  asio::awaitable<DnsAnswer> query(std::string name, RecordType type) override;

  // The same answer, synchronously.
  DnsAnswer lookup(std::string_view name, RecordType type) const { return zone_.lookup(name, type); }
  const Zone& zone() const { return zone_; }

 private:
  Zone zone_;
};

}  // namespace hikyaku::dns
