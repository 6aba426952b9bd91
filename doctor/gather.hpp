// Gathering for the program: every needed answer of a round asked at once, recursive questions
// through a dns::Resolver and authoritative ones with dns::query_direct, on one io_context.
#pragma once
#include <chrono>
#include <string>

#include <boost/asio/io_context.hpp>

#include "dns/resolver.hpp"
#include "doctor/doctor.hpp"

namespace hikyaku::doctor {

// `server_label` names the recursive resolver in the output ("127.0.0.1:53" or "resolv.conf").
GatherFn resolver_gatherer(boost::asio::io_context& io, dns::Resolver& resolver, std::string server_label,
                           std::chrono::milliseconds direct_timeout);

}  // namespace hikyaku::doctor
