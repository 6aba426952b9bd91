// Round robin over the configured egress addresses, by family (DESIGN §1 step 6). An IPv4
// destination written as an IPv4-mapped IPv6 address takes an IPv4 source.
#include "relay/source_addresses.hpp"

namespace hikyaku::relay {

namespace ip = asio::ip;

std::shared_ptr<SourceAddresses> SourceAddresses::parse(const std::vector<std::string>& v4,
                                       const std::vector<std::string>& v6) {
  std::vector<ip::address_v4> a4;
  std::vector<ip::address_v6> a6;
  boost::system::error_code ec;
  for (const auto& text : v4) {
    auto a = ip::make_address_v4(text, ec);
    if (!ec) a4.push_back(a);
  }
  for (const auto& text : v6) {
    auto a = ip::make_address_v6(text, ec);
    if (!ec) a6.push_back(a);
  }
  return std::make_shared<SourceAddresses>(std::move(a4), std::move(a6));
}

std::optional<ip::address> SourceAddresses::next_for(const ip::address& destination) {
  const bool v4 = destination.is_v4() || destination.to_v6().is_v4_mapped();
  if (v4) {
    if (v4_.empty()) return std::nullopt;
    return ip::address(v4_[next_v4_.fetch_add(1, std::memory_order_relaxed) % v4_.size()]);
  }
  if (v6_.empty()) return std::nullopt;
  return ip::address(v6_[next_v6_.fetch_add(1, std::memory_order_relaxed) % v6_.size()]);
}

}  // namespace hikyaku::relay
