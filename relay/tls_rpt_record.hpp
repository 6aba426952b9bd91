// The TLS-RPT policy record at _smtp._tls.<domain> (RFC 8460 §3): where a sending MTA sends its
// daily reports on TLS to that domain's MX hosts, as mailto: or https: URIs.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace hikyaku::relay {

struct ReportDestination {
  enum class Kind { mailto, https };
  Kind kind = Kind::mailto;
  std::string target;  // mailto: the address (percent-decoded); https: the whole URI
};

struct TlsRptRecord {
  std::vector<ReportDestination> rua;  // never empty; unsupported URI schemes are left out
};

// "v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/v1" (§3): rua required, its URIs
// separated by *WSP "," *WSP; extensions ignored. A record whose rua names only other schemes
// is an error (nothing to send to).
core::Expected<TlsRptRecord, std::string> parse_tls_rpt_record(std::string_view txt);

// §3: records not starting with v=TLSRPTv1 are discarded; anything but one valid record left
// means the domain asks for no report (nullopt, with the reason in `why`).
std::optional<TlsRptRecord> select_tls_rpt_record(const std::vector<std::string>& texts,
                                                  std::string* why = nullptr);

}  // namespace hikyaku::relay
