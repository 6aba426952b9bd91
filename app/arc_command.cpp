// hikyaku arc verify|seal: the message from stdin (LF line ends become CRLF), the keys through
// app/offline_dns, auth/arc_chain to validate, app/arc_stage to seal.
#include "app/arc_command.hpp"

#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "app/arc_stage.hpp"
#include "app/offline_dns.hpp"
#include "auth/arc_chain.hpp"
#include "config/loader.hpp"
#include "core/message.hpp"

namespace hikyaku::app {

namespace {

// Validates the chain of `msg` with keys from the zone files or the DNS server; nullopt (with
// the reason printed) when neither source can be set up.
std::optional<auth::ArcResult> verify(const ArcCommandOptions& o, const core::Message& msg) {
  asio::io_context io;
  auto resolver = offline_resolver(io.get_executor(), o.dns_server, o.zone_files);
  if (!resolver) {
    fmt::print(stderr, "{}\n", resolver.error());
    return std::nullopt;
  }
  std::optional<auth::ArcResult> result;
  asio::co_spawn(io, auth::verify_arc_chain(**resolver, msg),
                 [&result](std::exception_ptr e, auth::ArcResult r) {
                   if (!e) result = std::move(r);
                 });
  io.run();
  resolver->reset();  // before the io_context it runs on
  io.run();
  if (!result) fmt::print(stderr, "ARC verification did not complete\n");
  return result;
}

}  // namespace

int arc_verify_command(const ArcCommandOptions& options) {
  const core::Message message(read_message_from_stdin());
  const auto result = verify(options, message);
  if (!result) return 2;
  fmt::print("cv={} instances={}", auth::to_string(result->cv), result->instances);
  if (result->cv == auth::ArcResult::Cv::pass) fmt::print(" oldest-pass={}", result->oldest_pass);
  if (!result->reason.empty()) fmt::print(" reason=\"{}\"", result->reason);
  fmt::print("\n");
  return result->cv == auth::ArcResult::Cv::fail ? 1 : 0;
}

int arc_seal_command(const ArcCommandOptions& options) {
  auto loaded = config::load_file(options.config_path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  auto sealer = ArcSealer::from(*loaded);
  if (!sealer) {
    fmt::print(stderr, "{}\n", sealer.error());
    return 2;
  }
  if (!*sealer) {
    fmt::print(stderr, "{}: [arc] is not enabled\n", options.config_path);
    return 2;
  }
  const core::Message message(read_message_from_stdin());
  const auto chain = verify(options, message);
  if (!chain) return 2;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  auto set = seal_arc(**sealer, message, *chain, now);
  if (!set) {
    fmt::print(stderr, "not sealed: {}\n", set.error());
    return 1;
  }
  fmt::print("{}{}", *set, message.raw());
  return 0;
}

}  // namespace hikyaku::app
