// Offline verbs' input: stdin as a CRLF message, and the DNS source named on the command line.
#include "app/offline_dns.hpp"

#include <chrono>
#include <iostream>
#include <iterator>

#include "dns/unbound_resolver.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::app {

std::string read_message_from_stdin() {
  const std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

core::Expected<std::shared_ptr<dns::Resolver>, std::string> offline_resolver(
    asio::any_io_executor executor, const std::string& dns_server, const std::vector<std::string>& zone_files) {
  if (!dns_server.empty()) {
    auto unbound = dns::UnboundResolver::create(
        std::move(executor), dns::UnboundOptions{{dns_server}, std::chrono::seconds(10), {}, {}});
    if (!unbound) return core::unexpected("--dns " + dns_server + ": " + unbound.error());
    return std::shared_ptr<dns::Resolver>(std::move(*unbound));
  }
  auto zones = dns::ZoneFileResolver::load(zone_files);
  if (!zones) {
    std::string errors;
    for (const auto& e : zones.error()) errors += (errors.empty() ? "" : "\n") + e.text();
    return core::unexpected(errors);
  }
  return std::shared_ptr<dns::Resolver>(std::make_shared<dns::ZoneFileResolver>(std::move(*zones)));
}

}  // namespace hikyaku::app
