// The auth log line (app/auth_stage): values from the message (DKIM d=/s= with RFC 5322 §2.2.3
// folding, reasons, the From domain) cannot add or forge log lines.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "app/auth_stage.hpp"

namespace hikyaku::app {
namespace {

TEST(LogSafe, UnfoldsAndReplacesControlCharacters) {
  EXPECT_EQ(log_safe("example.com"), "example.com");
  EXPECT_EQ(log_safe("exa\r\n mple.com"), "exa mple.com");
  EXPECT_EQ(log_safe("a\r\n\tb"), "a b");
  EXPECT_EQ(log_safe("sel\r\nX-Forged: 1"), "sel??X-Forged: 1");
  EXPECT_EQ(log_safe("a\nb\rc"), "a?b?c");
  EXPECT_EQ(log_safe(std::string("a\0b\x1b[31m\x7f", 9)), "a?b?[31m?");
  EXPECT_EQ(log_safe("end\r\n"), "end??");
  EXPECT_EQ(log_safe("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 kept
}

TEST(LogAuth, MessageValuesStayOnOneLine) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>("auth_stage_test",
                                                 std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("%v");
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  core::Envelope env;
  env.transaction_id = "T1";
  auth::AuthResults results;
  auth::DkimSignatureOutcome sig;
  sig.result = auth::DkimResult::fail;
  sig.domain = "exa\r\n mple.com";
  sig.selector = "s1\r\nT2: auth dkim=pass";
  sig.reason = "bad\x1b[0m";
  results.dkim.push_back(sig);
  results.dmarc.from_domain = "example.com";
  results.dmarc.reason = "record syntax: p=\r\n reject";
  auth::Enforcement decision;
  decision.note = "dmarc=fail p=reject: refused";
  log_auth(env, results, decision);
  spdlog::set_default_logger(previous);
  const std::string line = out.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find_first_of("\r\x1b"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;  // only the line's own end
  EXPECT_NE(line.find("(d=exa mple.com s=s1??T2: auth dkim=pass: bad?[0m)"), std::string::npos) << line;
  EXPECT_NE(line.find("record syntax: p= reject"), std::string::npos) << line;
}

}  // namespace
}  // namespace hikyaku::app
