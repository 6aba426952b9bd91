// Fuzz target for dmarc_reports/evaluation_record (the day's store lines) and the report XML:
// any bytes give a record or an error, never a crash; a parsed record encodes to one line
// without CR/LF that parses back to the same record; its report XML holds no control
// character but TAB/LF and no markup from the values; a mailto: URI that parses has one
// address whose domain is the destination host.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dmarc_reports/aggregate.hpp"
#include "dmarc_reports/destinations.hpp"
#include "dmarc_reports/evaluation_record.hpp"
#include "dmarc_reports/report_xml.hpp"

namespace {

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_dmarc_report_record invariant failed: %s (input %zu octets)\n", what, input.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hikyaku::dmarc_reports;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (const auto r = parse_record(in)) {
    const std::string line = encode_record(*r);
    check(line.find('\n') == std::string::npos && line.find('\r') == std::string::npos, "CR or LF in a line", in);
    const auto again = parse_record(line);
    check(again.has_value() && *again == *r, "a record that does not round-trip", in);
    const std::string xml = report_xml(aggregate(r->policy_domain, {*r}, ReportMetadata{"o", "e@o", "1", 0, 1, ""}));
    for (const char c : xml) {
      const auto u = static_cast<unsigned char>(c);
      check(u >= 0x20 || c == '\n' || c == '\t' || c == '\r', "a control character in the XML", in);
    }
    check(xml.find("<count>1</count>") != std::string::npos, "the record's count is not 1", in);
  }
  xml_text(in);
  if (const auto m = parse_mailto(in)) {
    check(m->address.find('@') != std::string::npos && !m->domain.empty() && m->address.ends_with("@" + m->domain),
          "a mailto: destination without its host", in);
  }
  return 0;
}
