// Fuzz target: RFC 1035 §5 master-file text (dns/zone_lexer, zone_file, zone) and, on the same
// bytes, the RFC 1035 §4.1 wire-format reader (dns/wire) that reads what DNS servers send.
// Parsed zones are queried for every owner and type; answers must stay self-consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "dns/names.hpp"
#include "dns/wire.hpp"
#include "dns/zone.hpp"
#include "dns/zone_file.hpp"

namespace {

using namespace hikyaku::dns;

constexpr RecordType kTypes[] = {RecordType::a,   RecordType::aaaa,  RecordType::mx, RecordType::txt,
                                 RecordType::ptr, RecordType::cname, RecordType::ns, RecordType::soa};

void check(bool ok) {
  if (!ok) std::abort();
}

void check_answer(const DnsAnswer& a) {
  if (a.ok() && a.type != RecordType::soa) check(a.record_count() > 0);
  if (!a.ok()) check(a.record_count() == 0);
  if (a.status != DnsStatus::ok && a.status != DnsStatus::nxdomain) return;
  for (const auto& n : a.cname_chain) check(normalise_name(n) == n);
}

void fuzz_zone(std::string_view text) {
  ZoneFileOptions options;
  options.origin = "fuzz.test.";
  auto records = parse_zone(text, "fuzz.zone", options);
  if (!records) {
    check(!records.error().empty());
    for (const auto& e : records.error()) check(!e.text().empty());
    return;
  }
  std::vector<std::string> owners;
  for (const auto& r : *records) {
    check(normalise_name(r.owner) == r.owner);  // owners are canonical
    if (owners.size() < 64) owners.push_back(r.owner);
  }
  auto zone = Zone::build(std::move(*records));
  if (!zone) return;
  for (const auto& owner : owners) {
    // An owner exists: never NXDOMAIN for its own name unless a CNAME there leads away.
    const DnsAnswer cname = zone->lookup(owner, RecordType::cname);
    check(cname.status == DnsStatus::ok || cname.status == DnsStatus::nodata);
    for (auto type : kTypes) check_answer(zone->lookup(owner, type));
    check_answer(zone->lookup("x." + owner, RecordType::a));
  }
}

void fuzz_wire(std::span<const uint8_t> bytes) {
  auto message = parse_message(bytes);
  if (!message) return;
  for (auto type : kTypes) {
    check_answer(answer_from_message(*message, message->question_name, type));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  fuzz_zone(std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz_wire(std::span<const uint8_t>(data, size));
  return 0;
}
