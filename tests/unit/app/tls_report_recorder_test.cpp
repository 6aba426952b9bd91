// Tests for app/tls_report_recorder: a delivery outcome's RFC 8460 records (sessions under the
// plan's policy, policy failures under theirs), recorded only for a domain publishing a usable
// _smtp._tls record (RFC 8460 §3), the lookup cached; records appended to the day's store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/tls_report_recorder.hpp"
#include "dns/zone_file_resolver.hpp"

namespace hikyaku::app {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kDec7 = 1796601600;  // 2026-12-07T00:00:00Z

class CountingResolver final : public dns::Resolver {
 public:
  explicit CountingResolver(const std::string& text)
      : zone_(*dns::ZoneFileResolver::from_text(text, "t.zone")) {}
  asio::awaitable<dns::DnsAnswer> query(std::string name, dns::RecordType type) override {
    ++queries;
    co_return zone_.lookup(name, type);
  }
  int queries = 0;

 private:
  dns::ZoneFileResolver zone_;
};

const char* kZone =
    "$ORIGIN test.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 60\n"
    "_smtp._tls.rpt IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@rpt.test\"\n"
    "_smtp._tls.badrpt IN TXT \"v=TLSRPTv1; rua=ftp://x.test/\"\n";

relay::DomainOutcome outcome(const std::string& domain) {
  relay::DomainOutcome o;
  o.domain = domain;
  o.tls_plan.policy_type = relay::PolicyType::sts;
  o.tls_plan.policy_strings = {"version: STSv1", "mode: enforce"};
  o.tls_plan.mx_patterns = {"mx.rpt.test"};
  relay::TlsSessionRecord ok;
  ok.mx_host = "mx.rpt.test";
  ok.success = true;
  relay::TlsSessionRecord bad;
  bad.mx_host = "mx.rpt.test";
  bad.receiving_ip = "192.0.2.7";
  bad.sending_ip = "192.0.2.1";
  bad.result_type = "certificate-expired";
  bad.detail = "certificate has expired";
  relay::TlsSessionRecord unnamed = bad;
  unnamed.result_type = "";  // a check that could not say why
  o.tls_sessions = {ok, bad, unnamed};
  o.tls_plan.policy_failures.push_back({relay::PolicyType::tlsa, "dnssec-invalid", "mx2.rpt.test", "SERVFAIL"});
  return o;
}

TEST(TlsRecordsOf, SessionsUnderThePlanFailuresUnderTheirPolicy) {
  const auto records = tls_records_of(outcome("rpt.test"));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].policy_type, "sts");
  EXPECT_EQ(records[0].result_type, "");
  EXPECT_EQ(records[0].mx_hosts, (std::vector<std::string>{"mx.rpt.test"}));
  EXPECT_EQ(records[0].receiving_ip, "");  // details only for failures
  EXPECT_EQ(records[1].result_type, "certificate-expired");
  EXPECT_EQ(records[1].sending_ip, "192.0.2.1");
  EXPECT_EQ(records[1].receiving_ip, "192.0.2.7");
  EXPECT_EQ(records[1].receiving_mx, "mx.rpt.test");
  EXPECT_EQ(records[2].result_type, "validation-failure");
  EXPECT_EQ(records[3].policy_type, "tlsa");
  EXPECT_TRUE(records[3].policy_strings.empty());  // not the plan's policy
  EXPECT_EQ(records[3].result_type, "dnssec-invalid");
  EXPECT_EQ(records[3].receiving_mx, "mx2.rpt.test");
}

class Recorder : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hikyaku-tlsrec-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = reports::DailyStore::open({dir_, 1 << 20, 1});
    ASSERT_TRUE(store);
    store_ = std::make_shared<reports::DailyStore>(std::move(*store));
  }
  void TearDown() override { fs::remove_all(dir_); }
  void run(asio::awaitable<void> a) {
    bool done = false;
    asio::co_spawn(io_, std::move(a), [&done](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      done = true;
    });
    io_.restart();
    io_.run();
    EXPECT_TRUE(done);
  }
  asio::io_context io_;
  std::string dir_;
  std::shared_ptr<reports::DailyStore> store_;
};

TEST_F(Recorder, OnlyDomainsWithAUsableRuaAreRecordedAndTheLookupIsCached) {
  auto resolver = std::make_shared<CountingResolver>(kZone);
  std::int64_t now = kDec7 + 60;
  auto recorder = std::make_shared<TlsReportRecorder>(store_, nullptr, [&now] { return now; });
  run(recorder->record(resolver, tls_records_of(outcome("rpt.test"))));
  run(recorder->record(resolver, tls_records_of(outcome("rpt.test"))));
  EXPECT_EQ(resolver->queries, 1);  // cached
  run(recorder->record(resolver, tls_records_of(outcome("norpt.test"))));
  run(recorder->record(resolver, tls_records_of(outcome("badrpt.test"))));
  EXPECT_EQ(resolver->queries, 3);
  auto lines = store_->read_day("2026-12-07");
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 8u);
  for (const auto& l : *lines) EXPECT_EQ(reports::decode_tls_record(l)->policy_domain, "rpt.test");
  EXPECT_EQ(recorder->recorded(), 8u);
  // An hour later the record is asked for again.
  now += 3600;
  run(recorder->record(resolver, tls_records_of(outcome("rpt.test"))));
  EXPECT_EQ(resolver->queries, 4);
}

TEST_F(Recorder, WithoutAStoreNothingIsRecorded) {
  auto resolver = std::make_shared<CountingResolver>(kZone);
  auto recorder = std::make_shared<TlsReportRecorder>(nullptr);
  run(recorder->record(resolver, tls_records_of(outcome("rpt.test"))));
  EXPECT_EQ(recorder->recorded(), 0u);
  recorder->attach(store_);
  run(recorder->record(resolver, tls_records_of(outcome("rpt.test"))));
  EXPECT_EQ(recorder->recorded(), 4u);
}

}  // namespace
}  // namespace hikyaku::app
