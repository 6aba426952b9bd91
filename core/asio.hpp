// One place that includes Boost.Asio for the project (Boost 1.74 needs <utility> first, see
// research/deps.md B1) and names the namespace alias every I/O file uses.
#pragma once
#include <utility>

#include <boost/asio.hpp>

namespace hikyaku {
namespace asio = boost::asio;
}  // namespace hikyaku

#include <exception>
#include <string>

#include <spdlog/spdlog.h>

namespace hikyaku {

// A co_spawn completion handler that logs an escaped exception instead of swallowing it.
inline auto log_failure(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("{}: {}", what, ex.what());
    }
  };
}

}  // namespace hikyaku
