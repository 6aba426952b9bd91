// Recording each DMARC evaluation for the daily aggregate reports (RFC 9990): one line per
// message accepted or refused under a DMARC Policy Record with rua=, appended to the day's
// store (<spool>/reports/dmarc). Process-wide; the [reports] dmarc_reports switch is read from
// the configuration in force for each message.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "auth/arc_vouch.hpp"
#include "auth/enforcement.hpp"
#include "auth/results.hpp"
#include "core/envelope.hpp"

namespace hikyaku::app {

class DmarcReportRecorder {
 public:
  // Appends one line to the store's file of the UTC day of `now`; false when the day's bound
  // was reached and the line dropped. Thread-safe.
  using Append = std::function<bool(std::int64_t now, std::string_view line)>;
  explicit DmarcReportRecorder(Append append) : append_(std::move(append)) {}

  // Records the message when evaluation_record() says it is reported; `now` in seconds since
  // the epoch. Returns whether a line was stored.
  bool record(const core::Envelope& env, const auth::AuthResults& results, const auth::Enforcement& decision,
              const auth::EnforcementPolicy& policy, const std::optional<auth::ArcVouch>& vouch, std::int64_t now);

  std::uint64_t recorded() const { return recorded_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  Append append_;
  std::atomic<std::uint64_t> recorded_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace hikyaku::app
