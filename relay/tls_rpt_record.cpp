// TLS-RPT record parsing (RFC 8460 §3), on the TXT field grammar it shares with MTA-STS.
#include "relay/tls_rpt_record.hpp"

#include "core/address.hpp"
#include "core/ascii.hpp"
#include "core/percent.hpp"
#include "relay/txt_fields.hpp"

namespace hikyaku::relay {
namespace {

std::string_view trim_wsp(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

core::Expected<TlsRptRecord, std::string> parse_tls_rpt_record(std::string_view txt) {
  auto fields = split_txt_fields(txt, "v=TLSRPTv1");
  if (!fields) return core::unexpected(fields.error());
  TlsRptRecord record;
  bool have_rua = false;
  for (const auto& f : *fields) {
    if (f.name != "rua") {
      if (!is_txt_extension_name(f.name) || !is_txt_extension_value(f.value)) {
        return core::unexpected("malformed field: " + std::string(f.name));
      }
      continue;
    }
    if (have_rua) continue;  // the first rua counts
    have_rua = true;
    // tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
    std::string_view rest = f.value;
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view uri = trim_wsp(rest.substr(0, comma));
      if (uri.empty()) return core::unexpected(std::string("empty URI in rua"));
      if (core::ascii_istarts_with(uri, "mailto:")) {
        auto address = core::percent_decode(uri.substr(7));
        if (!address || !core::parse_mailbox(*address, false)) {
          return core::unexpected("rua: not a mail address: " + std::string(uri));
        }
        record.rua.push_back({ReportDestination::Kind::mailto, std::move(*address)});
      } else if (core::ascii_istarts_with(uri, "https://") && uri.size() > 8) {
        record.rua.push_back({ReportDestination::Kind::https, std::string(uri)});
      }
      // Other schemes: not ours to use (§3 defines mailto and https only).
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  if (!have_rua) return core::unexpected(std::string("no rua"));
  if (record.rua.empty()) return core::unexpected(std::string("rua has no mailto: or https: URI"));
  return record;
}

std::optional<TlsRptRecord> select_tls_rpt_record(const std::vector<std::string>& texts,
                                                  std::string* why) {
  const std::string* text = select_versioned_record(texts, "v=TLSRPTv1", why);
  if (text == nullptr) return std::nullopt;
  auto record = parse_tls_rpt_record(*text);
  if (!record) {
    if (why != nullptr) *why = "invalid v=TLSRPTv1 record: " + record.error();
    return std::nullopt;
  }
  return std::move(*record);
}

}  // namespace hikyaku::relay
