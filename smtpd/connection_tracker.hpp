// Connection limits: counts connections in total and per client, where a client is one IPv4
// address or one IPv6 /64 (a single host or LAN is usually given a whole /64, RFC 6177 §2;
// Postfix smtpd_client_connection_limit counts per address, which a v6 client evades for free).
#pragma once
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/client_key.hpp"

namespace hikyaku::smtpd {

using core::client_key;  // the key a client is counted under

// The limits come from the environment in force when the connection arrives. Every method
// takes the client's IP address (not its key) and keys it itself. Thread-safe.
class ConnectionTracker {
 public:
  bool try_add(std::string_view ip, size_t max_total, size_t max_per_client);
  // Moves one connection from `from` to `to` without giving up its place in the total (a
  // PROXY header named the real client); false, with the connection still counted under
  // `from`, when `to` is at its limit.
  bool try_move(std::string_view from, std::string_view to, size_t max_per_client);
  void remove(std::string_view ip);
  size_t total() const;
  size_t count(std::string_view ip) const;  // connections under ip's key

 private:
  mutable std::mutex mu_;
  size_t total_ = 0;
  std::map<std::string, size_t, std::less<>> per_client_;
};

}  // namespace hikyaku::smtpd
