// Helpers the checks share: a host's addresses (RFC 5321 §5.1: A and AAAA of an MX target),
// SPF record selection (RFC 7208 §4.5), TXT values in zone-file form (RFC 1035 §3.3.14, §5.1).
#include "doctor/checks.hpp"

#include "dns/names.hpp"
#include "doctor/spf_record.hpp"

namespace hikyaku::doctor {

bool HostAddresses::has_v6() const {
  for (const auto& a : addresses) {
    if (a.is_v6()) return true;
  }
  return false;
}

std::optional<HostAddresses> host_addresses(Lookup& lookup, std::string_view host) {
  HostAddresses out;
  out.a = lookup.get(host, dns::RecordType::a);
  out.aaaa = lookup.get(host, dns::RecordType::aaaa);
  if (out.a == nullptr || out.aaaa == nullptr) return std::nullopt;
  out.addresses = out.a->addresses;
  out.addresses.insert(out.addresses.end(), out.aaaa->addresses.begin(), out.aaaa->addresses.end());
  return out;
}

std::vector<std::string> spf_records(const dns::DnsAnswer& txt) {
  std::vector<std::string> out;
  for (const auto& t : txt.texts) {
    if (is_spf_record(t)) out.push_back(t);
  }
  return out;
}

std::string quote_txt(std::string_view text) {
  std::string out;
  if (text.size() > 255) out += "( ";
  for (size_t i = 0; i < text.size() || i == 0; i += 255) {
    if (i > 0) out += ' ';
    out += '"';
    for (unsigned char c : text.substr(i, 255)) dns::append_presentation_octet(out, c, "\"\\", 0x20);
    out += '"';
    if (text.empty()) break;
  }
  if (text.size() > 255) out += " )";
  return out;
}

}  // namespace hikyaku::doctor
