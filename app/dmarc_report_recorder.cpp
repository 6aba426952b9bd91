// RFC 9990 "Aggregate Reports": the data of every message evaluated, "even if their delivery is
// ultimately blocked", stored per day; a line past the day's bound is dropped and counted, with
// a warning for the first drop and every thousandth, not one per message.
#include "app/dmarc_report_recorder.hpp"

#include <spdlog/spdlog.h>

#include "dmarc_reports/evaluation_record.hpp"
#include "dmarc_reports/from_results.hpp"

namespace hikyaku::app {

bool DmarcReportRecorder::record(const core::Envelope& env, const auth::AuthResults& results,
                                 const auth::Enforcement& decision, const auth::EnforcementPolicy& policy,
                                 const std::optional<auth::ArcVouch>& vouch, std::int64_t now) {
  const auto rec = dmarc_reports::evaluation_record(env, results, decision, policy, vouch);
  if (!rec) return false;
  if (!append_(now, dmarc_reports::encode_record(*rec))) {
    if (const std::uint64_t n = dropped_.fetch_add(1); n % 1000 == 0) {
      spdlog::warn("{}: dmarc report record for {} dropped: the day's store is full ([reports] max_bytes_per_day; "
                   "{} dropped since start)",
                   env.transaction_id, rec->policy_domain, n + 1);
    }
    return false;
  }
  recorded_.fetch_add(1);
  return true;
}

}  // namespace hikyaku::app
