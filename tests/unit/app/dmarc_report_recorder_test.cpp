// The DMARC report recorder: a reported message becomes one stored line that reads back as the
// same evaluation, a message not reported stores nothing, and a full day's store drops and
// counts the line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/dmarc_report_recorder.hpp"
#include "auth/dmarc_record.hpp"
#include "dmarc_reports/evaluation_record.hpp"

namespace hikyaku::app {
namespace {

auth::AuthResults refused_results(const std::string& record_text) {
  auth::AuthResults r;
  r.spf.mail_from = {auth::SpfResult::fail, "a@example.com", "example.com", ""};
  auto parsed = auth::parse_dmarc_record(record_text);
  EXPECT_TRUE(parsed.has_value());
  r.dmarc.result = auth::DmarcResult::fail;
  r.dmarc.from_domain = "example.com";
  r.dmarc.record_domain = "example.com";
  r.dmarc.policy = auth::DmarcPolicy::reject;
  r.dmarc.disposition = auth::DmarcPolicy::reject;
  r.dmarc.record = std::make_shared<const auth::DmarcRecord>(*parsed);
  return r;
}

core::Envelope envelope() {
  core::Envelope env;
  env.transaction_id = "T1";
  env.session.client_ip = "203.0.113.5";
  env.mail_from = core::Address{"a", "example.com"};
  env.recipients = {core::Address{"info", "served.example"}};
  return env;
}

TEST(DmarcReportRecorder, StoresOneLinePerReportedMessage) {
  std::vector<std::pair<std::int64_t, std::string>> stored;
  DmarcReportRecorder recorder([&stored](std::int64_t now, std::string_view line) {
    stored.emplace_back(now, std::string(line));
    return true;
  });
  const auth::EnforcementPolicy policy;
  const auto results = refused_results("v=DMARC1; p=reject; rua=mailto:agg@example.com");
  const auto decision = auth::decide(results, policy, std::nullopt);
  ASSERT_EQ(decision.action, auth::Enforcement::Action::refuse);
  EXPECT_TRUE(recorder.record(envelope(), results, decision, policy, std::nullopt, 1796601700));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].first, 1796601700);
  const auto back = dmarc_reports::parse_record(stored[0].second);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->policy_domain, "example.com");
  EXPECT_EQ(back->source_ip, "203.0.113.5");
  EXPECT_EQ(back->disposition, dmarc_reports::Disposition::reject);
  EXPECT_EQ(recorder.recorded(), 1u);

  // No rua=: nothing stored.
  const auto quiet = refused_results("v=DMARC1; p=reject");
  EXPECT_FALSE(recorder.record(envelope(), quiet, auth::decide(quiet, policy, std::nullopt), policy, std::nullopt,
                               1796601700));
  EXPECT_EQ(stored.size(), 1u);
}

TEST(DmarcReportRecorder, FullStoreDropsAndCounts) {
  DmarcReportRecorder recorder([](std::int64_t, std::string_view) { return false; });
  const auth::EnforcementPolicy policy;
  const auto results = refused_results("v=DMARC1; p=reject; rua=mailto:agg@example.com");
  const auto decision = auth::decide(results, policy, std::nullopt);
  EXPECT_FALSE(recorder.record(envelope(), results, decision, policy, std::nullopt, 1));
  EXPECT_FALSE(recorder.record(envelope(), results, decision, policy, std::nullopt, 2));
  EXPECT_EQ(recorder.dropped(), 2u);
  EXPECT_EQ(recorder.recorded(), 0u);
}

}  // namespace
}  // namespace hikyaku::app
