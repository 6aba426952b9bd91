// The DNS Tree Walk's queries, RFC 9989 §4.10: "_dmarc.<target>" TXT for each target of
// tree_walk_targets() through dns::Resolver, so the relay's caching resolver keeps the answers.
#pragma once
#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "auth/dmarc_tree_walk.hpp"
#include "dns/resolver.hpp"

namespace hikyaku::auth {

namespace asio = boost::asio;

// Runs the walk from `domain` (normalised; "" gives an empty complete walk): stops at a record
// with psd=y or psd=n (steps 2 and 6), after the last label, or incomplete at the first
// temporary failure. A query due after `deadline` is not made: the walk stops incomplete.
asio::awaitable<TreeWalk> tree_walk(
    dns::Resolver& resolver, std::string domain,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

}  // namespace hikyaku::auth
