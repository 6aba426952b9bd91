// Tests for queue/queue_runner with a fake Delivery in a temporary spool: retry then success,
// permanent failure -> DSN entry, expiry -> DSN, no DSN for the null sender, the per-domain
// concurrency limit, backoff after 421/4.7.x, in-flight hand-over, corrupt files skipped, the
// spool lock held from start() for the runner's lifetime, rewrites on a worker pool.
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>

#include "queue/queue_runner.hpp"

namespace hikyaku::queue {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Call {
  DeliveryJob job;
  std::chrono::steady_clock::time_point at;
};

// Answers each domain from a script (one reply per call, the last one repeated), after a delay.
class FakeDelivery : public Delivery {
 public:
  explicit FakeDelivery(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  asio::awaitable<AttemptResult> deliver(DeliveryJob job) override {
    calls.push_back({job, std::chrono::steady_clock::now()});
    if (on_deliver) on_deliver();
    ++active;
    max_active = std::max(max_active, active);
    if (delay.count() > 0) {
      asio::steady_timer t(executor_, delay);
      boost::system::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    --active;
    core::SmtpReply reply = core::SmtpReply::make(250, "2.0.0", "Ok: queued as X");
    auto& script = scripts[job.domain];
    if (!script.empty()) {
      reply = script.front();
      if (script.size() > 1) script.pop_front();
    }
    AttemptResult result;
    result.host = "mx." + job.domain;
    result.answered = true;
    for (const auto& r : job.recipients) {
      RecipientOutcome o;
      o.address = r;
      o.reply = reply;
      result.recipients.push_back(std::move(o));
    }
    co_return result;
  }
  std::size_t calls_to(const std::string& domain) const {
    return std::count_if(calls.begin(), calls.end(), [&](const Call& c) { return c.job.domain == domain; });
  }
  std::map<std::string, std::deque<core::SmtpReply>> scripts;
  std::vector<Call> calls;
  std::chrono::milliseconds delay{0};
  std::function<void()> on_deliver;
  int active = 0;
  int max_active = 0;

 private:
  asio::any_io_executor executor_;
};

class QueueRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hikyaku-runner-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fake_ = std::make_shared<FakeDelivery>(io_.get_executor());
  }
  void TearDown() override {
    runner_.reset();
    fs::remove_all(dir_);
  }
  QueueRunner& runner(std::int64_t first = 1, std::size_t concurrency = 10,
                      std::int64_t lifetime = 3600, asio::thread_pool* workers = nullptr) {
    RunnerOptions o;
    o.directory = dir_;
    o.hostname = "mx.hikyaku.test";
    o.policy.first = std::chrono::seconds(first);
    o.policy.longest = std::chrono::seconds(first * 4);
    o.policy.lifetime = std::chrono::seconds(lifetime);
    o.domain_concurrency = concurrency;
    runner_ = std::make_unique<QueueRunner>(io_.get_executor(), o, fake_, workers);
    return *runner_;
  }
  SpoolEntry entry(const std::string& id, std::vector<std::string> rcpts,
                   const std::string& sender = "sender@origin.example") {
    SpoolEntry e;
    e.queue_id = id;
    e.arrival = unix_now();
    e.mail_from = sender;
    e.upstream_from = sender.empty() ? "" : "SRS0=x=yy=origin.example=sender@fwd.example";
    for (auto& r : rcpts) e.recipients.push_back({r, RcptState::pending, "", ""});
    e.attempts = 1;
    e.next_try = unix_now();
    e.message = "From: a@origin.example\r\nSubject: hello " + id + "\r\nMessage-ID: <" + id +
                "@origin.example>\r\n\r\nbody\r\n";
    return e;
  }
  void queue(const SpoolEntry& e) {
    ASSERT_TRUE(QueueRunner::write_new(dir_, e).has_value());
    runner_->adopt(e);
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(20ms);
    }
    return done();
  }
  std::size_t files() const {  // spool entries: the lock file is not one
    return std::count_if(fs::directory_iterator(dir_), fs::directory_iterator(), [](const fs::directory_entry& d) {
      return d.path().filename() != kLockFileName && d.path().filename() != kCorruptDirName;
    });
  }
  const Call* call_to(const std::string& domain, std::size_t nth = 0) const {
    for (const auto& c : fake_->calls) {
      if (c.job.domain == domain && nth-- == 0) return &c;
    }
    return nullptr;
  }

  asio::io_context io_;
  std::string dir_;
  std::shared_ptr<FakeDelivery> fake_;
  std::unique_ptr<QueueRunner> runner_;
};

TEST_F(QueueRunnerTest, TemporaryFailureIsRetriedThenDelivered) {
  auto& r = runner();
  fake_->scripts["dest.example"] = {core::SmtpReply::make(450, "4.2.1", "busy"),
                                    core::SmtpReply::make(250, "2.0.0", "ok")};
  queue(entry("A1", {"user@dest.example"}));
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  ASSERT_EQ(fake_->calls.size(), 2u);
  EXPECT_GE(fake_->calls[1].at - fake_->calls[0].at, 900ms);  // retry_interval = 1s
  EXPECT_EQ(fake_->calls[0].job.mail_from, "SRS0=x=yy=origin.example=sender@fwd.example");
  EXPECT_EQ(*fake_->calls[0].job.message, entry("A1", {}).message);
  EXPECT_EQ(files(), 0u);
}

TEST_F(QueueRunnerTest, FileIsRewrittenWithTheLastErrorBetweenAttempts) {
  auto& r = runner(5);
  fake_->scripts["dest.example"] = {core::SmtpReply::make(450, "4.2.1", "busy")};
  queue(entry("A2", {"user@dest.example"}));
  ASSERT_TRUE(run_until([&] { return fake_->calls.size() == 1 && !r.list().front().active; }));
  auto scanned = scan(dir_);
  ASSERT_TRUE(scanned.has_value());
  ASSERT_EQ(scanned->entries.size(), 1u);
  const auto& e = scanned->entries[0].entry;
  EXPECT_EQ(e.attempts, 2u);
  EXPECT_GE(e.next_try, unix_now() + 8);  // second delay doubles: 10s
  EXPECT_NE(e.last_error.find("mx.dest.example said: 450 4.2.1 busy"), std::string::npos);
  const auto list = r.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].recipients, std::vector<std::string>{"user@dest.example"});
}

TEST_F(QueueRunnerTest, RewritesOnTheWorkersKeepTheFileThenRemoveIt) {
  asio::thread_pool workers(1);
  auto& r = runner(1, 10, 3600, &workers);
  fake_->scripts["dest.example"] = {core::SmtpReply::make(450, "4.2.1", "busy"),
                                    core::SmtpReply::make(250, "2.0.0", "ok")};
  queue(entry("W1", {"user@dest.example"}));
  ASSERT_TRUE(run_until([&] {
    auto scanned = scan(dir_);
    return scanned && scanned->entries.size() == 1 && scanned->entries[0].entry.attempts == 2;
  }));
  const auto bytes = read_file(dir_ + "/W1");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_NE(bytes->find("450%204.2.1%20busy"), std::string::npos);
  ASSERT_TRUE(run_until([&] { return r.size() == 0 && files() == 0; }));
  EXPECT_EQ(fake_->calls.size(), 2u);
  runner_.reset();
  workers.join();
}

TEST_F(QueueRunnerTest, DeletedDuringARewriteTheFileIsRemovedAfterIt) {
  asio::thread_pool workers(1);
  // The only worker is kept busy once the attempt has read its message, so the rewrite after
  // the attempt waits behind it.
  std::promise<void> release;
  auto blocked = release.get_future().share();
  auto& r = runner(60, 10, 3600, &workers);
  fake_->scripts["dest.example"] = {core::SmtpReply::make(450, "4.2.1", "busy")};
  fake_->on_deliver = [&workers, blocked] { asio::post(workers, [blocked] { blocked.wait(); }); };
  queue(entry("W2", {"user@dest.example"}));
  ASSERT_TRUE(run_until([&] { return fake_->calls.size() == 1 && !r.list().front().active; }));
  EXPECT_TRUE(r.remove("W2"));
  EXPECT_EQ(r.size(), 0u);
  release.set_value();
  // Without the deferral the rewrite's rename would bring the deleted file back.
  EXPECT_TRUE(run_until([&] { return r.writes_under_way() == 0; }));
  EXPECT_EQ(files(), 0u);
  runner_.reset();
  workers.join();
}

TEST_F(QueueRunnerTest, PermanentFailureQueuesADsnToTheOriginalSender) {
  auto& r = runner();
  fake_->scripts["dest.example"] = {core::SmtpReply::make(550, "5.1.1", "User unknown")};
  queue(entry("B1", {"gone@dest.example", "ok@other.example"}));
  ASSERT_TRUE(run_until([&] { return r.size() == 0 && fake_->calls_to("origin.example") == 1; }));
  const Call* dsn = call_to("origin.example");
  ASSERT_NE(dsn, nullptr);
  EXPECT_EQ(dsn->job.mail_from, "");  // the null sender
  EXPECT_EQ(dsn->job.recipients, std::vector<std::string>{"sender@origin.example"});
  const std::string& m = *dsn->job.message;
  EXPECT_NE(m.find("From: Mail Delivery System <MAILER-DAEMON@mx.hikyaku.test>"), std::string::npos);
  // No original address known (an entry from before they were kept): the target stays private.
  EXPECT_NE(m.find("Final-Recipient: rfc822; forwarding target"), std::string::npos);
  EXPECT_EQ(m.find("gone@dest.example"), std::string::npos);
  EXPECT_NE(m.find("Status: 5.1.1"), std::string::npos);
  EXPECT_NE(m.find("Remote-MTA: dns; mx.dest.example"), std::string::npos);
  EXPECT_EQ(m.find("ok@other.example"), std::string::npos);  // delivered: not in the DSN
  EXPECT_NE(m.find("Subject: hello B1"), std::string::npos);  // the original headers
  EXPECT_EQ(files(), 0u);
}

// The DSN names the address the sender used (Original- and Final-Recipient), and the private
// forwarding target appears nowhere in it, not even where the upstream's text echoed it.
TEST_F(QueueRunnerTest, DsnReportsTheOriginalRecipientAndHidesTheTarget) {
  auto& r = runner();
  fake_->scripts["dest.example"] = {
      core::SmtpReply::make(550, "5.1.1", "<Private.Person@DEST.example>: Recipient address rejected")};
  auto e = entry("B2", {"private.person@dest.example"});
  e.recipients[0].original = "info@served.example";
  queue(e);
  ASSERT_TRUE(run_until([&] { return r.size() == 0 && fake_->calls_to("origin.example") == 1; }));
  const std::string& m = *call_to("origin.example")->job.message;
  EXPECT_NE(m.find("\r\nOriginal-Recipient: rfc822; info@served.example\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\nFinal-Recipient: rfc822; info@served.example\r\n"), std::string::npos);
  EXPECT_NE(m.find("Diagnostic-Code: smtp; 550 5.1.1 <info@served.example>: Recipient address rejected"),
            std::string::npos);
  std::string lower = m;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower.find("private.person"), std::string::npos);
}

// RFC 6531/6533: the DSN of an SMTPUTF8 message goes back with SMTPUTF8; with UTF-8 to carry it
// is a global DSN.
TEST_F(QueueRunnerTest, DsnOfAnSmtputf8MessageIsSentWithSmtputf8) {
  auto& r = runner();
  fake_->scripts["dest.example"] = {core::SmtpReply::make(550, "5.1.1", "User unknown")};
  auto e = entry("U3", {"gone@dest.example"});
  e.smtputf8 = true;
  e.message = "Subject: caf\xC3\xA9\r\n\r\nbody\r\n";
  queue(e);
  auto plain = entry("U4", {"gone@dest.example"}, "other@plain-origin.example");
  queue(plain);
  ASSERT_TRUE(run_until([&] {
    return r.size() == 0 && fake_->calls_to("origin.example") == 1 &&
           fake_->calls_to("plain-origin.example") == 1;
  }));
  const Call* utf8 = call_to("origin.example");
  EXPECT_TRUE(utf8->job.smtputf8);
  EXPECT_TRUE(utf8->job.eight_bit);
  EXPECT_NE(utf8->job.message->find("Content-Type: message/global-delivery-status"), std::string::npos);
  EXPECT_NE(utf8->job.message->find("Subject: caf\xC3\xA9"), std::string::npos);
  const Call* ascii = call_to("plain-origin.example");
  EXPECT_FALSE(ascii->job.smtputf8);
  EXPECT_NE(ascii->job.message->find("Content-Type: message/delivery-status"), std::string::npos);
}

// No backscatter: SPF "fail" for the original sender means no DSN (only the log says why);
// "softfail" still gets one.
TEST_F(QueueRunnerTest, NoDsnWhenTheSendersSpfFailedButSoftfailGetsOne) {
  auto& r = runner();
  fake_->scripts["dest.example"] = {core::SmtpReply::make(550, "5.1.1", "User unknown")};
  auto failed = entry("S1", {"gone@dest.example"});
  failed.spf = "fail";
  queue(failed);
  // Once the entry is done nothing is left: a DSN would have been queued (and held r.size() up)
  // before the entry was removed.
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  EXPECT_EQ(fake_->calls_to("origin.example"), 0u);
  EXPECT_EQ(files(), 0u);

  auto soft = entry("S2", {"gone@dest.example"});
  soft.spf = "softfail";
  queue(soft);
  ASSERT_TRUE(run_until([&] { return r.size() == 0 && fake_->calls_to("origin.example") == 1; }));
  EXPECT_EQ(fake_->calls_to("origin.example"), 1u);
}

TEST_F(QueueRunnerTest, ExpiredEntryIsReturnedWithStatus447) {
  auto& r = runner(1, 10, 60);
  auto e = entry("C1", {"user@dest.example"});
  e.arrival = unix_now() - 120;
  e.recipients[0].last_error = "mx.dest.example said: 450 4.2.1 busy";
  queue(e);
  ASSERT_TRUE(run_until([&] { return r.size() == 0 && fake_->calls_to("origin.example") == 1; }));
  EXPECT_EQ(fake_->calls_to("dest.example"), 0u);
  const std::string& m = *call_to("origin.example")->job.message;
  EXPECT_NE(m.find("Action: failed"), std::string::npos);
  EXPECT_NE(m.find("Status: 4.4.7"), std::string::npos);
  EXPECT_NE(m.find("450 4.2.1 busy"), std::string::npos);
}

TEST_F(QueueRunnerTest, NoDsnForTheNullSender) {
  auto& r = runner();
  fake_->scripts["dest.example"] = {core::SmtpReply::make(550, "5.1.1", "User unknown")};
  queue(entry("D1", {"gone@dest.example"}, ""));
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  run_until([] { return false; }, 200ms);
  EXPECT_EQ(fake_->calls.size(), 1u);
  EXPECT_EQ(files(), 0u);
}

TEST_F(QueueRunnerTest, ExpiredNullSenderMessageIsDroppedWithoutDsn) {
  auto& r = runner(1, 10, 60);
  auto e = entry("D2", {"user@dest.example"}, "");
  e.arrival = unix_now() - 120;
  queue(e);
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  EXPECT_TRUE(fake_->calls.empty());
}

TEST_F(QueueRunnerTest, PerDomainConcurrencyLimitIsHonoured) {
  auto& r = runner(1, 2);
  fake_->delay = 150ms;
  for (int i = 0; i < 6; ++i) queue(entry("E" + std::to_string(i), {"u@busy.example"}));
  queue(entry("E9", {"u@quiet.example"}));
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  EXPECT_EQ(fake_->calls.size(), 7u);
  EXPECT_EQ(fake_->max_active, 3);  // two for busy.example, one for quiet.example
}

TEST_F(QueueRunnerTest, ThrottlingReplyBacksOffTheWholeDomain) {
  auto& r = runner(2);
  fake_->scripts["big.example"] = {core::SmtpReply::make(421, "4.7.0", "Too many messages, slow down"),
                                   core::SmtpReply::make(250, "2.0.0", "ok")};
  queue(entry("F1", {"a@big.example"}));
  ASSERT_TRUE(run_until([&] { return fake_->calls.size() == 1 && !r.list().front().active; }));
  const auto throttled_at = std::chrono::steady_clock::now();
  // Another message for the same domain, due now: not tried while the domain is backed off.
  queue(entry("F2", {"b@big.example"}));
  run_until([] { return false; }, 500ms);
  EXPECT_EQ(fake_->calls_to("big.example"), 1u);
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  EXPECT_EQ(fake_->calls_to("big.example"), 3u);
  EXPECT_GE(fake_->calls[1].at - throttled_at, 1000ms);
}

TEST_F(QueueRunnerTest, RetryCarriesTheEntrysMailParameters) {
  auto& r = runner();
  auto e = entry("U1", {"user@dest.example"});  // an ASCII envelope
  e.message = "Subject: caf\xC3\xA9\r\n\r\nbody\r\n";
  e.smtputf8 = true;
  e.eight_bit = true;
  queue(e);
  auto plain = entry("U2", {"user@plain.example"});
  queue(plain);
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  const Call* utf8 = call_to("dest.example");
  ASSERT_NE(utf8, nullptr);
  EXPECT_TRUE(utf8->job.smtputf8);  // RFC 6531: asked for upstream although the envelope is ASCII
  EXPECT_TRUE(utf8->job.eight_bit);
  const Call* ascii = call_to("plain.example");
  ASSERT_NE(ascii, nullptr);
  EXPECT_FALSE(ascii->job.smtputf8);
  EXPECT_FALSE(ascii->job.eight_bit);
}

TEST_F(QueueRunnerTest, InFlightDomainWaitsForTheSessionsResult) {
  auto& r = runner();
  queue(entry("G1", {"a@slow.example"}));  // adopted normally: would be tried at once
  auto e = entry("G2", {"b@slow.example", "c@next.example"});
  ASSERT_TRUE(QueueRunner::write_new(dir_, e).has_value());
  r.adopt(e, {"slow.example"});
  ASSERT_TRUE(run_until([&] { return fake_->calls.size() == 2; }));
  run_until([] { return false; }, 200ms);
  EXPECT_EQ(fake_->calls_to("slow.example"), 1u);  // G1 only
  EXPECT_EQ(r.size(), 1u);
  AttemptResult late;
  late.host = "mx.slow.example";
  late.recipients.push_back({"b@slow.example", core::SmtpReply::make(250, "2.0.0", "ok")});
  r.complete_in_flight("G2", "slow.example", late);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(files(), 0u);
}

TEST_F(QueueRunnerTest, CorruptAndTruncatedFilesAreSkippedAndReported) {
  auto good = entry("H1", {"user@dest.example"});
  ASSERT_TRUE(QueueRunner::write_new(dir_, good).has_value());
  std::string bytes = encode(entry("H2", {"user@dest.example"}));
  std::ofstream(dir_ + "/H2", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::ofstream(dir_ + "/H3", std::ios::binary) << "garbage\n";
  std::ofstream(dir_ + "/tmp.H4", std::ios::binary) << bytes;
  // tmp.H4 stands for a write under way beside the scan: newer than any runner of this test.
  fs::last_write_time(dir_ + "/tmp.H4", fs::file_time_type::clock::now() + std::chrono::hours(1));
  // A write cut short by an earlier crash (older than the runner) is removed at start.
  std::ofstream(dir_ + "/tmp.H5", std::ios::binary) << bytes.substr(0, 10);
  fs::last_write_time(dir_ + "/tmp.H5", fs::file_time_type::clock::now() - std::chrono::hours(1));
  auto& r = runner();
  auto started = r.start();
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(started->problems.size(), 4u);
  EXPECT_FALSE(fs::exists(dir_ + "/tmp.H5"));
  EXPECT_EQ(r.size(), 1u);
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  EXPECT_EQ(fake_->calls.size(), 1u);
  // Kept aside for the operator, with the reason, not deleted; a tmp file as new as the runner
  // (a write that may be under way beside the scan) stays.
  EXPECT_FALSE(fs::exists(dir_ + "/H2"));
  EXPECT_TRUE(fs::exists(dir_ + "/corrupt/H2"));
  EXPECT_TRUE(fs::exists(dir_ + "/corrupt/H3"));
  EXPECT_TRUE(fs::exists(dir_ + "/tmp.H4"));
  const auto reason = read_file(dir_ + "/corrupt/H3.reason");
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("bad magic"), std::string::npos) << *reason;
  ASSERT_EQ(r.corrupt().size(), 2u);
  EXPECT_EQ(r.corrupt()[0].name, "H2");
  EXPECT_NE(r.corrupt()[0].reason.find("truncated"), std::string::npos) << r.corrupt()[0].reason;
  // A second start finds nothing new to complain about: logged once.
  runner_.reset();
  auto again = runner().start();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->problems.size(), 1u);  // only tmp.H4
  EXPECT_EQ(runner_->corrupt().size(), 2u);
}

TEST_F(QueueRunnerTest, TheIndexHoldsNoMessageAndAnAttemptReadsTheFile) {
  auto& r = runner(60);
  auto e = entry("M1", {"user@dest.example"});
  e.message = std::string(1 << 20, 'x') + "\r\n";
  e.next_try = unix_now() + 3600;
  queue(e);
  ASSERT_TRUE(QueueRunner::write_new(dir_, entry("M2", {"user@dest.example"})).has_value());
  EXPECT_EQ(r.message_bytes_held(), 0u);
  // The file changes under the index: the attempt sends what the file holds then.
  auto changed = e;
  changed.message = "Subject: read at attempt time\r\n\r\nbody\r\n";
  ASSERT_TRUE(write_durably(dir_, "M1", encode(changed)).has_value());
  EXPECT_EQ(r.flush(), 1u);
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  ASSERT_EQ(fake_->calls.size(), 1u);
  EXPECT_EQ(*fake_->calls[0].job.message, changed.message);
  runner_.reset();
  auto& again = runner(60);
  ASSERT_TRUE(again.start().has_value());
  EXPECT_EQ(again.size(), 1u);  // M2
  EXPECT_EQ(again.message_bytes_held(), 0u);
}

TEST_F(QueueRunnerTest, RewriteKeepsTheMessageReadBackFromTheFile) {
  auto& r = runner(60);
  fake_->scripts["dest.example"] = {core::SmtpReply::make(450, "4.2.1", "busy")};
  auto e = entry("M3", {"user@dest.example"});
  queue(e);
  ASSERT_TRUE(run_until([&] { return fake_->calls.size() == 1 && !r.list().front().active; }));
  const auto bytes = read_file(dir_ + "/M3");
  ASSERT_TRUE(bytes.has_value());
  auto back = decode(*bytes);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->message, e.message);
  EXPECT_EQ(back->attempts, 2u);
}

TEST_F(QueueRunnerTest, AFileCorruptAtAttemptTimeIsKeptAside) {
  auto& r = runner(60);
  auto e = entry("M4", {"user@dest.example"});
  e.next_try = unix_now() + 3600;
  queue(e);
  std::ofstream(dir_ + "/M4", std::ios::binary | std::ios::trunc) << "hikyaku-spool 2\ngarbage";
  r.flush();
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  EXPECT_TRUE(fake_->calls.empty());
  EXPECT_TRUE(fs::exists(dir_ + "/corrupt/M4"));
  ASSERT_EQ(r.corrupt().size(), 1u);
  EXPECT_EQ(r.corrupt()[0].name, "M4");
}

// The start-up scan runs on the spool writer: with the writer busy, start() returns at once
// and the loop keeps running; the entries come when the scan has run.
TEST_F(QueueRunnerTest, StartScansOnTheSpoolWriter) {
  ASSERT_TRUE(QueueRunner::write_new(dir_, entry("S1", {"user@dest.example"})).has_value());
  asio::thread_pool writer(1);
  std::promise<void> release;
  auto blocked = release.get_future().share();
  asio::post(writer, [blocked] { blocked.wait(); });
  auto& r = runner(60, 10, 3600, &writer);
  auto started = r.start();
  ASSERT_TRUE(started.has_value());
  EXPECT_FALSE(r.resumed());
  EXPECT_FALSE(r.scan_ended());
  EXPECT_EQ(r.size(), 0u);
  run_until([] { return false; }, 100ms);  // the loop runs while the writer is busy
  EXPECT_EQ(r.size(), 0u);
  EXPECT_FALSE(r.scan_ended());  // READY=1 waits for this
  release.set_value();
  ASSERT_TRUE(run_until([&] { return r.resumed() && fake_->calls.size() == 1; }));
  EXPECT_TRUE(r.scan_ended());
  runner_.reset();
  writer.join();
}

// A DSN is written on the spool writer, never on the loop: while the writer is busy the DSN
// does not exist yet and the loop still runs; once free, the DSN is written and delivered.
TEST_F(QueueRunnerTest, DsnIsWrittenOnTheSpoolWriter) {
  asio::thread_pool writer(1);
  std::promise<void> release;
  auto blocked = release.get_future().share();
  auto& r = runner(60, 10, 3600, &writer);
  fake_->scripts["dest.example"] = {core::SmtpReply::make(550, "5.1.1", "User unknown")};
  // The writer is made busy once the attempt has its message, before the refusal comes back.
  fake_->on_deliver = [&writer, blocked] { asio::post(writer, [blocked] { blocked.wait(); }); };
  queue(entry("B9", {"gone@dest.example"}));
  ASSERT_TRUE(run_until([&] { return fake_->calls.size() == 1; }));
  run_until([] { return false; }, 200ms);
  EXPECT_EQ(r.size(), 1u);   // no DSN adopted yet
  EXPECT_EQ(files(), 1u);    // nor written
  EXPECT_TRUE(r.list().front().active);
  fake_->on_deliver = nullptr;
  release.set_value();
  ASSERT_TRUE(run_until([&] { return r.size() == 0 && fake_->calls_to("origin.example") == 1; }));
  EXPECT_TRUE(run_until([&] { return r.writes_under_way() == 0 && files() == 0; }));
  runner_.reset();
  writer.join();
}

TEST_F(QueueRunnerTest, StartHoldsTheSpoolLockUntilTheRunnerIsGone) {
  auto& r = runner();
  auto started = r.start();
  ASSERT_TRUE(started.has_value()) << started.error().message;
  EXPECT_TRUE(started->problems.empty());  // the lock file is not a bad spool file
  // What the offline `hikyaku queue` verbs do first: refused while the runner lives.
  auto offline = lock_spool(dir_);
  ASSERT_FALSE(offline);
  EXPECT_TRUE(offline.error().locked_elsewhere()) << offline.error().message;
  runner_.reset();
  auto after = lock_spool(dir_);
  EXPECT_TRUE(after.has_value());
}

TEST_F(QueueRunnerTest, StartFailsWhileAnotherProcessKeepsTheLock) {
  auto other = lock_spool(dir_);
  ASSERT_TRUE(other) << other.error().message;
  auto& r = runner();
  EXPECT_FALSE(r.scan_ended());
  auto started = r.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_TRUE(started.error().locked_elsewhere()) << started.error().message;
  EXPECT_TRUE(r.scan_ended());  // readiness is not held back by a start that failed
}

TEST_F(QueueRunnerTest, FlushAndRemove) {
  auto& r = runner(60);
  auto a = entry("J1", {"a@dest.example"});
  a.next_try = unix_now() + 3600;
  auto b = entry("J2", {"b@dest.example"});
  b.next_try = unix_now() + 3600;
  queue(a);
  queue(b);
  run_until([] { return false; }, 100ms);
  EXPECT_TRUE(fake_->calls.empty());
  EXPECT_TRUE(r.remove("J2"));
  EXPECT_FALSE(r.remove("J2"));
  EXPECT_FALSE(fs::exists(dir_ + "/J2"));
  EXPECT_EQ(r.flush(), 1u);
  ASSERT_TRUE(run_until([&] { return r.size() == 0; }));
  ASSERT_EQ(fake_->calls.size(), 1u);
  EXPECT_EQ(fake_->calls[0].job.recipients, std::vector<std::string>{"a@dest.example"});
}

TEST_F(QueueRunnerTest, CountsByStateBytesAndRecipientDomain) {
  auto& r = runner(60);
  EXPECT_EQ(r.counts().deferred.entries, 0u);
  EXPECT_EQ(r.counts().active.entries, 0u);
  EXPECT_TRUE(r.counts().recipient_domains.empty());
  auto a = entry("K1", {"x@dest.example", "y@dest.example", "z@dest.example"});
  a.recipients[0].original = "info@Served.Example";  // the RCPT TO the sender gave
  a.recipients[1].original = "sales@served.example";
  a.recipients[2].state = RcptState::delivered;      // not counted
  a.arrival = unix_now() - 100;
  a.next_try = unix_now() + 3600;
  a.message = std::string(5000, 'a') + "\r\n";
  auto b = entry("K2", {"w@other-dest.example"});
  b.arrival = unix_now() - 10;
  b.next_try = unix_now() + 3600;
  queue(a);
  queue(b);
  QueueCounts c = r.counts();
  EXPECT_EQ(c.deferred.entries, 2u);
  EXPECT_EQ(c.deferred.recipients, 3u);
  EXPECT_EQ(c.deferred.message_bytes, a.message.size() + b.message.size());
  EXPECT_EQ(c.deferred.oldest_arrival, a.arrival);
  EXPECT_EQ(c.active.entries, 0u);
  EXPECT_EQ(c.active.oldest_arrival, 0);
  // By the original recipient's domain when known, else the destination's.
  const std::map<std::string, std::size_t> domains = {{"served.example", 2}, {"other-dest.example", 1}};
  EXPECT_EQ(c.recipient_domains, domains);
  EXPECT_EQ(r.message_bytes_held(), 0u);  // the size is kept, not the message

  // While K2 is being delivered it is active, K1 still deferred.
  QueueCounts during;
  fake_->on_deliver = [&] { during = r.counts(); };
  fake_->scripts["other-dest.example"] = {core::SmtpReply::make(450, "4.2.1", "busy")};
  b.next_try = unix_now();
  ASSERT_TRUE(r.remove("K2"));
  queue(b);
  ASSERT_TRUE(run_until([&] { return fake_->calls.size() == 1; }));
  EXPECT_EQ(during.active.entries, 1u);
  EXPECT_EQ(during.active.recipients, 1u);
  EXPECT_EQ(during.active.message_bytes, b.message.size());
  EXPECT_EQ(during.active.oldest_arrival, b.arrival);
  EXPECT_EQ(during.deferred.entries, 1u);
  EXPECT_EQ(during.deferred.message_bytes, a.message.size());
  // After the 450 it waits again; its size is unchanged by the rewrite.
  ASSERT_TRUE(run_until([&] { return r.counts().active.entries == 0 && r.writes_under_way() == 0; }));
  c = r.counts();
  EXPECT_EQ(c.deferred.entries, 2u);
  EXPECT_EQ(c.deferred.message_bytes, a.message.size() + b.message.size());

  // A restart finds the sizes in the files (the scan reads no message into the index).
  runner_.reset();
  auto& again = runner(60);
  ASSERT_TRUE(again.start().has_value());
  c = again.counts();
  EXPECT_EQ(c.deferred.entries, 2u);
  EXPECT_EQ(c.deferred.recipients, 3u);
  EXPECT_EQ(c.deferred.message_bytes, a.message.size() + b.message.size());
  EXPECT_EQ(c.recipient_domains, domains);
}

}  // namespace
}  // namespace hikyaku::queue
