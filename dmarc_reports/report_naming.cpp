// RFC 9990 "Definition of Report-ID", "Email" (filename and dmarc-subject ABNF), "Unique
// Identifiers in Aggregate Reporting".
#include "dmarc_reports/report_naming.hpp"

#include <openssl/sha.h>

#include <chrono>

#include <fmt/format.h>

namespace hikyaku::dmarc_reports {

std::optional<std::pair<std::int64_t, std::int64_t>> day_range(std::string_view day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (size_t j = 0; j < lens[i]; ++j) {
      const char c = day[starts[i] + j];
      if (c < '0' || c > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year(parts[0]), std::chrono::month(static_cast<unsigned>(parts[1])),
                                        std::chrono::day(static_cast<unsigned>(parts[2]))};
  if (!ymd.ok()) return std::nullopt;
  const std::int64_t begin = std::chrono::sys_seconds(std::chrono::sys_days(ymd)).time_since_epoch().count();
  return std::make_pair(begin, begin + 86399);
}

std::string report_id(std::string_view receiver, std::string_view policy_domain, std::string_view day) {
  const std::string input = fmt::format("{}!{}!{}", receiver, policy_domain, day);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  std::string out;
  for (const char c : day) {
    if (c >= '0' && c <= '9') out += c;
  }
  for (int i = 0; i < 12; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

std::string report_filename(std::string_view receiver, std::string_view policy_domain, std::int64_t begin,
                            std::int64_t end, std::string_view id) {
  return fmt::format("{}!{}!{}!{}!{}.xml.gz", receiver, policy_domain, begin, end, id);
}

std::string report_subject(std::string_view policy_domain, std::string_view submitter, std::string_view id) {
  return fmt::format("Report Domain: {} Submitter: {} Report-ID: {}", policy_domain, submitter, id);
}

}  // namespace hikyaku::dmarc_reports
