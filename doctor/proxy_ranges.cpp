// Prefix matching (RFC 4632 §3.1 CIDR, RFC 4291 §2.3 IPv6 prefixes) and the ranges file.
#include "doctor/proxy_ranges.hpp"

#include <array>
#include <charconv>

#include "dns/names.hpp"
#include "doctor/builtin_ranges.hpp"

namespace hikyaku::doctor {

namespace {

template <size_t N>
bool prefix_match(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b, unsigned bits) {
  for (size_t i = 0; i < N && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - take));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool Prefix::contains(const boost::asio::ip::address& ip) const {
  if (ip.is_v4() && network.is_v4()) return prefix_match(ip.to_v4().to_bytes(), network.to_v4().to_bytes(), length);
  if (ip.is_v6() && network.is_v6()) return prefix_match(ip.to_v6().to_bytes(), network.to_v6().to_bytes(), length);
  return false;
}

std::string Prefix::text() const { return network.to_string() + "/" + std::to_string(length); }

std::optional<Prefix> parse_prefix(std::string_view text) {
  const size_t slash = text.find('/');
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return std::nullopt;
  const unsigned max = ip.is_v4() ? 32 : 128;
  unsigned length = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (err != std::errc() || end != digits.data() + digits.size() || length > max) return std::nullopt;
  }
  return Prefix{ip, length};
}

core::Expected<ProxyRanges, std::string> ProxyRanges::parse(std::string_view text, std::string_view origin) {
  ProxyRanges out;
  int line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    const auto where = [&] { return std::string(origin) + ":" + std::to_string(line_no) + ": "; };
    line = trim(line);
    if (line.starts_with("#")) {
      std::string_view rest = trim(line.substr(1));
      if (rest.starts_with("date:")) out.date_ = std::string(trim(rest.substr(5)));
      continue;
    }
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = trim(line.substr(0, hash));
    if (line.empty()) continue;
    const size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) return core::unexpected(where() + "expected \"proxy PREFIX\", \"mail PREFIX\" or \"mail-host NAME\"");
    const std::string_view kind = line.substr(0, sp);
    const std::string_view value = trim(line.substr(sp));
    if (kind == "mail-host") {
      auto name = dns::normalise_name(value);
      if (!name) return core::unexpected(where() + "bad host name \"" + std::string(value) + "\"");
      out.mail_hosts_.push_back(*name);
      continue;
    }
    if (kind != "proxy" && kind != "mail") {
      return core::unexpected(where() + "unknown kind \"" + std::string(kind) + "\" (expected proxy, mail or mail-host)");
    }
    auto prefix = parse_prefix(value);
    if (!prefix) return core::unexpected(where() + "bad prefix \"" + std::string(value) + "\"");
    (kind == "proxy" ? out.proxy_ : out.mail_).push_back(*prefix);
  }
  return out;
}

const ProxyRanges& ProxyRanges::builtin() {
  static const ProxyRanges ranges = [] {
    auto parsed = parse(kBuiltinProxyRanges, "conf/proxy-ranges.txt");
    return parsed ? std::move(*parsed) : ProxyRanges{};  // the build's own file; tested to parse
  }();
  return ranges;
}

std::optional<Prefix> ProxyRanges::proxied(const boost::asio::ip::address& ip) const {
  for (const auto& m : mail_) {
    if (m.contains(ip)) return std::nullopt;
  }
  for (const auto& p : proxy_) {
    if (p.contains(ip)) return p;
  }
  return std::nullopt;
}

bool ProxyRanges::is_mail_host(std::string_view host) const {
  for (const auto& h : mail_hosts_) {
    if (dns::is_at_or_below(host, h)) return true;
  }
  return false;
}

}  // namespace hikyaku::doctor
