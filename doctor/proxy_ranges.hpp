// Reverse-proxy/CDN address ranges (conf/proxy-ranges.txt, compiled in; [doctor] proxy_ranges
// overrides): an address inside one is a proxy that carries HTTP(S) only, never SMTP (RFC 5321
// §5.1 needs the MX host's own address). Ranges and host names a mail provider itself receives
// or sends from are exempt.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/expected.hpp"

namespace hikyaku::doctor {

struct Prefix {
  boost::asio::ip::address network;
  unsigned length = 0;
  bool contains(const boost::asio::ip::address& ip) const;
  std::string text() const;
};
// "192.0.2.0/24", "2001:db8::/32", or a bare address (/32, /128). nullopt when malformed.
std::optional<Prefix> parse_prefix(std::string_view text);

class ProxyRanges {
 public:
  // Parses the file format: "proxy PREFIX", "mail PREFIX", "mail-host NAME", "# comment",
  // "# date: YYYY-MM-DD". Errors name the line ("proxy-ranges.txt:12: bad prefix").
  static core::Expected<ProxyRanges, std::string> parse(std::string_view text, std::string_view origin);
  // The ranges compiled in from conf/proxy-ranges.txt.
  static const ProxyRanges& builtin();

  // The proxy range holding `ip`, unless a mail range holds it too; nullopt otherwise.
  std::optional<Prefix> proxied(const boost::asio::ip::address& ip) const;
  // True when `host` is at or below a mail-host name (the provider's own mail service).
  bool is_mail_host(std::string_view host) const;
  const std::string& date() const { return date_; }
  size_t size() const { return proxy_.size(); }

 private:
  std::vector<Prefix> proxy_;
  std::vector<Prefix> mail_;
  std::vector<std::string> mail_hosts_;
  std::string date_;
};

}  // namespace hikyaku::doctor
