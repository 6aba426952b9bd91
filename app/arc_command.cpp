// hikyaku arc verify: reads the message from stdin (LF line ends become CRLF), looks the
// signers' keys up in the given zone files, prints the ARC result.
#include "app/arc_command.hpp"

#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "auth/arc_verify.hpp"
#include "core/message.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::app {

namespace {
// Messages saved to files usually have LF line ends; SMTP carries CRLF (RFC 5322 §2.1).
std::string to_crlf(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}
}  // namespace

int arc_verify_command(const std::vector<std::string>& zone_files) {
  auto zones = dns::ZoneFileResolver::load(zone_files);
  if (!zones) {
    for (const auto& e : zones.error()) fmt::print(stderr, "{}\n", e.text());
    return 2;
  }
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const core::Message message(to_crlf(input));
  const dns::ZoneFileResolver& resolver = *zones;
  const auto result = auth::arc_verify(message, [&resolver](const std::string& name) -> std::optional<std::string> {
    const auto answer = resolver.lookup(name, dns::RecordType::txt);
    if (!answer.ok() || answer.texts.empty()) return std::nullopt;
    return answer.texts.front();
  });
  fmt::print("cv={} instances={}", auth::to_string(result.cv), result.instances);
  if (result.cv == auth::ArcResult::Cv::pass) fmt::print(" oldest-pass={}", result.oldest_pass);
  if (!result.reason.empty()) fmt::print(" reason=\"{}\"", result.reason);
  fmt::print("\n");
  return result.cv == auth::ArcResult::Cv::fail ? 1 : 0;
}

}  // namespace hikyaku::app
