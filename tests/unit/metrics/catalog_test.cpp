// Unit tests for metrics/catalog: the documented metric list (docs/metrics.md) equals the
// exported one, names follow the conventions (hikyaku_ prefix, _total counters, base units),
// and outcomes map to their bounded label values.
#include "metrics/catalog.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "metrics/exposition.hpp"
#include "metrics/version.hpp"

namespace hikyaku::metrics {
namespace {

// Names from the "# TYPE name type" lines of a scrape.
std::set<std::string> exported_names(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("# TYPE ")) continue;
    std::istringstream words(line.substr(7));
    std::string name;
    words >> name;
    out.insert(name);
  }
  return out;
}

// Names from the table rows of docs/metrics.md: "| `hikyaku_x` | type | labels | what |".
std::set<std::string> documented_names() {
  std::ifstream in(std::string(HIKYAKU_SOURCE_DIR) + "/docs/metrics.md");
  EXPECT_TRUE(in.good());
  std::set<std::string> out;
  std::string line;
  const std::regex row(R"(^\|\s*`(hikyaku_[a-z0-9_]+)`\s*\|)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, row)) out.insert(m[1]);
  }
  return out;
}

TEST(Catalog, DocumentedNamesEqualExportedNames) {
  const auto exported = exported_names(render(process().registry));
  const auto documented = documented_names();
  EXPECT_FALSE(exported.empty());
  EXPECT_EQ(documented, exported);
}

TEST(Catalog, NamesFollowConventions) {
  for (const auto& f : process().registry.families()) {
    EXPECT_TRUE(f->name().starts_with("hikyaku_")) << f->name();
    EXPECT_EQ(f->type() == Type::counter, f->name().ends_with("_total")) << f->name();
    EXPECT_EQ(f->name().find("millis"), std::string::npos) << f->name();
    EXPECT_EQ(f->name().find("kilo"), std::string::npos) << f->name();
    EXPECT_FALSE(f->help().empty()) << f->name();
  }
}

TEST(Catalog, BuildInfoIsOne) {
  const auto text = render(process().registry);
  EXPECT_NE(text.find(std::string("hikyaku_build_info{version=\"") + kVersion + "\"} 1\n"),
            std::string::npos);
}

TEST(Catalog, DeclaredDomainGetsItsSeriesOthersCountAsOther) {
  auto& c = process();
  declare_domain("served.example");
  const auto before_other = c.domain_messages.with({"other", "sent"}).value();
  EXPECT_EQ(c.domain_messages.with({"served.example", "queued"}).value(), 0u);
  c.domain_messages.with({"served.example", "sent"}).inc();
  c.domain_messages.with({"unserved.example", "sent"}).inc();
  EXPECT_EQ(c.domain_messages.with({"served.example", "sent"}).value(), 1u);
  EXPECT_EQ(c.domain_messages.with({"other", "sent"}).value(), before_other + 1);
  const auto text = render(c.registry);
  EXPECT_EQ(text.find("unserved.example"), std::string::npos);
}

TEST(Catalog, QueueGaugesByStateExistAtZero) {
  Catalog c;  // a fresh catalog: nothing recorded yet
  const auto text = render(c.registry);
  for (const std::string name : {"hikyaku_queue_entries", "hikyaku_queue_recipients", "hikyaku_queue_bytes",
                                 "hikyaku_queue_oldest_age_seconds"}) {
    for (const std::string state : {"active", "deferred"}) {
      EXPECT_NE(text.find(name + "{state=\"" + state + "\"} 0\n"), std::string::npos) << name << ' ' << state;
    }
    EXPECT_EQ(text.find("\n" + name + " "), std::string::npos) << name << ": no unlabelled series";
  }
  // Any other state is counted as deferred; no third series appears.
  c.queue_entries.with({"retrying"}).set(3);
  EXPECT_EQ(c.queue_entries.with({kQueueDeferred}).value(), 3);
  EXPECT_EQ(render(c.registry).find("retrying"), std::string::npos);
}

TEST(Catalog, QueueDomainRecipientsHaveTheDeclaredDomainsAndOther) {
  auto& c = process();
  declare_domain("queued.example");
  const auto text = render(c.registry);
  EXPECT_NE(text.find("hikyaku_queue_domain_recipients{domain=\"queued.example\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("hikyaku_queue_domain_recipients{domain=\"other\"}"), std::string::npos);
  c.queue_domain_recipients.with({"elsewhere.example"}).add(2);
  EXPECT_EQ(c.queue_domain_recipients.with({"other"}).value(), 2);
  c.queue_domain_recipients.with({"other"}).set(0);
  EXPECT_EQ(render(c.registry).find("elsewhere.example"), std::string::npos);
}

TEST(Catalog, SpoolFsyncByTarget) {
  Catalog c;
  const auto text = render(c.registry);
  for (const std::string target : {"file", "directory"}) {
    EXPECT_NE(text.find("hikyaku_spool_fsync_seconds_count{target=\"" + target + "\"} 0\n"), std::string::npos)
        << target;
  }
}

TEST(Catalog, MessageOutcomes) {
  EXPECT_EQ(message_outcome("sent", 250), "sent");
  EXPECT_EQ(message_outcome("queued", 250), "queued");
  EXPECT_EQ(message_outcome("discarded", 250), "discarded");
  EXPECT_EQ(message_outcome("deferred", 451), "deferred");
  EXPECT_EQ(message_outcome("bounced", 550), "refused");
  EXPECT_EQ(message_outcome("refused", 554), "refused");
  EXPECT_EQ(message_outcome("spool-failed", 452), "deferred");
  EXPECT_EQ(message_outcome("spool-failed", 554), "refused");
}

TEST(Catalog, ErrorRepliesByCommandCodeAndEnhancedCode) {
  auto& e = process().error_replies;
  const auto composed = e.with({"rcpt", "550", "5.1.1"}).value();
  const auto passed_through = e.with({"rcpt", "550", "other"}).value();
  const auto unknown = e.with({"data", "other", "other"}).value();
  e.with({"rcpt", "550", "5.1.1"}).inc();
  e.with({"rcpt", "550", "5.7.26"}).inc();  // an upstream's code, passed through
  e.with({"data", "599", "5.9.9"}).inc();
  EXPECT_EQ(e.with({"rcpt", "550", "5.1.1"}).value(), composed + 1);
  EXPECT_EQ(e.with({"rcpt", "550", "other"}).value(), passed_through + 1);
  EXPECT_EQ(e.with({"data", "other", "other"}).value(), unknown + 1);
  const auto text = render(process().registry);
  EXPECT_EQ(text.find("5.7.26"), std::string::npos);
  EXPECT_EQ(text.find("\"599\""), std::string::npos);
  // Every composed pair exists at 0 or more for every command; no 2xx code is a label value.
  EXPECT_NE(text.find("hikyaku_smtp_error_replies_total{command=\"none\",code=\"421\",enhanced=\"4.4.2\"}"),
            std::string::npos);
  EXPECT_EQ(text.find("hikyaku_smtp_error_replies_total{command=\"none\",code=\"250\""), std::string::npos);
}

TEST(Catalog, DeliveryReplyClass) {
  EXPECT_EQ(delivery_reply_class(false, "deferred"), "connect_failure");
  EXPECT_EQ(delivery_reply_class(false, "failed"), "connect_failure");
  EXPECT_EQ(delivery_reply_class(true, "delivered"), "2xx");
  EXPECT_EQ(delivery_reply_class(true, "deferred"), "4xx");
  EXPECT_EQ(delivery_reply_class(true, "failed"), "5xx");
}

}  // namespace
}  // namespace hikyaku::metrics
