// Tests for app/report_scheduler and app/report_queue: days before today are sent and removed,
// today's only when asked, a failed send keeps the day; the next run is 00:00 UTC + delay; a
// report becomes a DKIM-signed spool entry from the reports sender to the rua mailbox.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "../dkim/dkim_test_support.hpp"
#include "app/report_queue.hpp"
#include "app/report_scheduler.hpp"
#include "queue/spool_io.hpp"

namespace hikyaku::app {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kDec7 = 1796601600;  // 2026-12-07T00:00:00Z

class ReportSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hikyaku-sched-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  template <class T>
  T run(asio::awaitable<T> a) {
    std::optional<T> out;
    asio::co_spawn(io_, std::move(a), [&out](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out = std::move(v);
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!out && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(out.has_value());
    return out ? std::move(*out) : T{};
  }
  asio::io_context io_;
  std::string dir_;
};

TEST(ReportSchedulerTiming, NextRunIsMidnightPlusDelay) {
  using std::chrono::seconds;
  EXPECT_EQ(ReportScheduler::seconds_until_next(kDec7, seconds(300)), 300);
  EXPECT_EQ(ReportScheduler::seconds_until_next(kDec7 + 299, seconds(300)), 1);
  EXPECT_EQ(ReportScheduler::seconds_until_next(kDec7 + 300, seconds(300)), 86400);
  EXPECT_EQ(ReportScheduler::seconds_until_next(kDec7 + 3600, seconds(300)), 86400 - 3300);
  EXPECT_EQ(ReportScheduler::seconds_until_next(kDec7, seconds(0)), 86400);
}

TEST_F(ReportSchedulerTest, PastDaysAreSentAndRemovedTodayKeptAFailureKept) {
  auto store = reports::DailyStore::open({dir_ + "/tls", 1 << 20, 1});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(kDec7 - 2 * 86400, "a"));  // 12-05: sent
  ASSERT_TRUE(store->append(kDec7 - 86400, "b"));      // 12-06: its send fails
  ASSERT_TRUE(store->append(kDec7 + 10, "c"));         // today
  std::int64_t now = kDec7 + 3600;
  ReportScheduler scheduler(io_.get_executor(), std::chrono::seconds(300), [&now] { return now; });
  std::vector<std::string> asked;
  std::vector<std::vector<std::string>> seen;
  bool fail_dec6 = true;
  scheduler.add("tls", &*store, [&](const std::string& day) -> asio::awaitable<bool> {
    asked.push_back(day);
    auto lines = store->read_day(day);
    seen.push_back(*lines);
    co_return !(fail_dec6 && day == "2026-12-06");
  });
  auto sent = run(scheduler.run_once());
  EXPECT_EQ(asked, (std::vector<std::string>{"2026-12-05", "2026-12-06"}));
  EXPECT_EQ(seen[0], (std::vector<std::string>{"a"}));
  EXPECT_EQ(sent, (std::vector<std::string>{"tls/2026-12-05"}));
  EXPECT_EQ(store->days(), (std::vector<std::string>{"2026-12-06", "2026-12-07"}));
  // The next run retries the failed day.
  fail_dec6 = false;
  asked.clear();
  sent = run(scheduler.run_once());
  EXPECT_EQ(sent, (std::vector<std::string>{"tls/2026-12-06"}));
  // Asked to, today goes too.
  sent = run(scheduler.run_once(true));
  EXPECT_EQ(sent, (std::vector<std::string>{"tls/2026-12-07"}));
  EXPECT_TRUE(store->days().empty());
}

TEST_F(ReportSchedulerTest, StartSendsADayMissedWhileStopped) {
  auto store = reports::DailyStore::open({dir_ + "/tls", 1 << 20, 1});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append(kDec7 - 86400, "missed"));
  const std::int64_t now = kDec7 + 10;  // before today's run time: only start-up sends it
  ReportScheduler scheduler(io_.get_executor(), std::chrono::seconds(300), [now] { return now; });
  int calls = 0;
  scheduler.add("tls", &*store, [&](const std::string&) -> asio::awaitable<bool> {
    ++calls;
    co_return true;
  });
  scheduler.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (calls == 0 && std::chrono::steady_clock::now() < deadline) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(20));
  }
  scheduler.stop();
  io_.restart();
  io_.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(store->days().empty());
}

reports::ReportMail mail() {
  reports::ReportMail m;
  m.from = "reports@fwd.example.net";
  m.subject = "Report Domain: dest.example Submitter: fwd.example.net Report-ID: <x@y>";
  m.report_type = "tlsrpt";
  m.human_text = "report";
  m.attachment_content_type = "application/tlsrpt+gzip";
  m.attachment_filename = "r.json.gz";
  m.attachment_bytes = reports::gzip("{}");
  m.message_id_domain = "fwd.example.net";
  m.date = kDec7;
  return m;
}

TEST(ReportEntry, SignedAsTheForwardingDomainFromTheSenderToTheRua) {
  auto key = dkim::parse_signing_key(dkim::testing::ed25519_pem(), "fwd.example.net", "ed1",
                                     dkim::Algorithm::ed25519_sha256, "test");
  ASSERT_TRUE(key) << key.error();
  const dkim::KeyStore keys({*key});
  const dkim::Signer signer;
  auto m = mail();
  m.to = "tlsrpt@dest.example";
  auto entry = make_report_entry(&signer, &keys, m, "Q1", kDec7);
  ASSERT_TRUE(entry) << entry.error();
  EXPECT_EQ(entry->mail_from, "reports@fwd.example.net");
  ASSERT_EQ(entry->recipients.size(), 1u);
  EXPECT_EQ(entry->recipients[0].address, "tlsrpt@dest.example");
  ASSERT_TRUE(entry->message.starts_with("DKIM-Signature:"));
  const std::string field = entry->message.substr(0, entry->message.find("\r\nFrom:"));
  EXPECT_EQ(dkim::testing::tag_value(field, "d"), "fwd.example.net");
  EXPECT_EQ(dkim::testing::tag_value(field, "s"), "ed1");
  // Unsigned without keys.
  auto bare = make_report_entry(&signer, nullptr, m, "Q2", kDec7);
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->message.starts_with("From:"));
}

class NoDelivery : public queue::Delivery {
 public:
  asio::awaitable<queue::AttemptResult> deliver(queue::DeliveryJob) override {
    co_return queue::AttemptResult{};
  }
};

TEST_F(ReportSchedulerTest, QueueReportWritesAnEntryTheRunnerHolds) {
  queue::RunnerOptions o;
  o.directory = dir_;
  o.hostname = "mx.example.net";
  o.policy.first = std::chrono::hours(1);
  o.policy.longest = std::chrono::hours(1);
  o.policy.lifetime = std::chrono::hours(24);
  queue::QueueRunner runner(io_.get_executor(), o, std::make_shared<NoDelivery>());
  ReportQueueContext ctx;
  ctx.runner = &runner;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string error = run(queue_report(ctx, mail(), "tlsrpt@dest.example", now));
  EXPECT_EQ(error, "");
  EXPECT_EQ(runner.size(), 1u);
  auto scanned = queue::scan(dir_);
  ASSERT_TRUE(scanned);
  ASSERT_EQ(scanned->entries.size(), 1u);
  EXPECT_EQ(scanned->entries[0].entry.recipients[0].address, "tlsrpt@dest.example");
  runner.stop();
}

}  // namespace
}  // namespace hikyaku::app
