// The RFC 9990 aggregate report as XML (the report format and Appendix A's XSD, namespace
// urn:ietf:params:xml:ns:dmarc-2.0): elements in the order the schema's sequences require,
// text escaped for XML 1.0 (§2.4 character data; characters outside §2.2 Char and invalid
// UTF-8 replaced), so a report validates whatever the message or DNS carried.
#pragma once
#include <string>
#include <string_view>

#include "dmarc_reports/aggregate.hpp"

namespace hikyaku::dmarc_reports {

// `text` as XML character data: & < > " ' escaped; control characters other than TAB, LF, CR,
// and octets that are not well-formed UTF-8, become '?'.
std::string xml_text(std::string_view text);

// The whole document, UTF-8, LF line ends, two-space indentation.
std::string report_xml(const AggregateReport& report);

}  // namespace hikyaku::dmarc_reports
