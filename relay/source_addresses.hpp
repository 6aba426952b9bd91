// The egress addresses outbound connections are bound to ([relay] source_ipv4 / source_ipv6),
// used in turn within each address family so that every configured address carries its share
// of the traffic (DESIGN §1 step 6). Shared by every connection of a relay; thread-safe.
#pragma once
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.hpp"

namespace hikyaku::relay {

class SourceAddresses {
 public:
  SourceAddresses() = default;
  SourceAddresses(std::vector<asio::ip::address_v4> v4, std::vector<asio::ip::address_v6> v6)
      : v4_(std::move(v4)), v6_(std::move(v6)) {}
  // From the [relay] lists (the loader has validated them; an unparsable entry is skipped).
  static std::shared_ptr<SourceAddresses> parse(const std::vector<std::string>& v4,
                                                const std::vector<std::string>& v6);

  // The address to bind for a connection to a destination of that family, round robin over
  // the family's list; none when the list is empty (the system chooses).
  std::optional<asio::ip::address> next_for(const asio::ip::address& destination);

  const std::vector<asio::ip::address_v4>& ipv4() const { return v4_; }
  const std::vector<asio::ip::address_v6>& ipv6() const { return v6_; }

 private:
  std::vector<asio::ip::address_v4> v4_;
  std::vector<asio::ip::address_v6> v6_;
  std::atomic<size_t> next_v4_{0};
  std::atomic<size_t> next_v6_{0};
};

}  // namespace hikyaku::relay
