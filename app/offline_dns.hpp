// What the offline verbs (`arc`, `auth`) share: the message read from stdin with SMTP line ends
// (RFC 5322 §2.1: CRLF), and a resolver over zone files or one DNS server given on the command
// line, so a postmaster can replay a message against the DNS it saw.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "core/expected.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::app {

// stdin as a message; bare LF line ends (files saved by mail clients) become CRLF.
std::string read_message_from_stdin();

// A ZoneFileResolver over `zone_files`, or an UnboundResolver asking `dns_server`
// ("127.0.0.1:53") when it is set. The error text is ready to print.
core::Expected<std::shared_ptr<dns::Resolver>, std::string> offline_resolver(
    asio::any_io_executor executor, const std::string& dns_server, const std::vector<std::string>& zone_files);

}  // namespace hikyaku::app
