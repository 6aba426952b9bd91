// Names of record types and statuses, and answer helpers (RFC 1035 §3.2.2 type mnemonics,
// RFC 7505 §3 null MX).
#include "dns/types.hpp"

#include "dns/names.hpp"

#include <array>
#include <utility>

namespace hikyaku::dns {

namespace {

constexpr std::array<std::pair<RecordType, std::string_view>, 9> kTypeNames = {{
    {RecordType::a, "A"},
    {RecordType::ns, "NS"},
    {RecordType::cname, "CNAME"},
    {RecordType::soa, "SOA"},
    {RecordType::ptr, "PTR"},
    {RecordType::mx, "MX"},
    {RecordType::txt, "TXT"},
    {RecordType::aaaa, "AAAA"},
    {RecordType::tlsa, "TLSA"},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (x != b[i]) return false;  // b is upper case
  }
  return true;
}

// TXT data for a log line: quoted, with '"', '\' and non-printable octets escaped.
std::string quote_text(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) append_presentation_octet(out, c, "\"\\", 0x20);
  return out + "\"";
}

}  // namespace

std::string_view to_string(RecordType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "TYPE?";
}

std::optional<RecordType> parse_record_type(std::string_view mnemonic) {
  for (const auto& [t, name] : kTypeNames) {
    if (iequals(mnemonic, name)) return t;
  }
  return std::nullopt;
}

std::string_view to_string(DnsStatus status) {
  switch (status) {
    case DnsStatus::ok: return "ok";
    case DnsStatus::nxdomain: return "NXDOMAIN";
    case DnsStatus::nodata: return "NODATA";
    case DnsStatus::servfail: return "SERVFAIL";
    case DnsStatus::timeout: return "timeout";
  }
  return "unknown";
}

bool DnsAnswer::is_null_mx() const {
  return ok() && mx.size() == 1 && mx[0].preference == 0 && mx[0].exchange == ".";
}

DnsAnswer DnsAnswer::failure(std::string name, RecordType type, DnsStatus status,
                             std::string detail) {
  DnsAnswer a;
  a.status = status;
  a.canonical_name = name;
  a.name = std::move(name);
  a.type = type;
  a.detail = std::move(detail);
  return a;
}

std::string to_string(const TlsaRecord& r) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = std::to_string(r.usage) + " " + std::to_string(r.selector) + " " +
                    std::to_string(r.matching_type) + " ";
  for (unsigned char c : r.data) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string describe(const DnsAnswer& answer) {
  std::string out = answer.name + " " + std::string(to_string(answer.type)) + " " +
                    std::string(to_string(answer.status)) + " ttl=" + std::to_string(answer.ttl);
  for (const auto& c : answer.cname_chain) out += " cname=" + c;
  std::vector<std::string> items;
  for (const auto& m : answer.mx) items.push_back(std::to_string(m.preference) + " " + m.exchange);
  for (const auto& a : answer.addresses) items.push_back(a.to_string());
  for (const auto& t : answer.texts) items.push_back(quote_text(t));
  for (const auto& n : answer.names) items.push_back(n);
  for (const auto& t : answer.tlsa) items.push_back(to_string(t));
  if (!items.empty()) {
    out += " [";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    out += "]";
  }
  if (answer.secure) out += " secure";
  if (!answer.detail.empty()) out += " (" + answer.detail + ")";
  return out;
}

}  // namespace hikyaku::dns
