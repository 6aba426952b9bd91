// Unit tests for config/lint: forwarding cycles through our own rules (errors), and the
// warnings a postmaster wants before loading a file (RFC 5321 §4.1.4 host name, §4.5.1
// postmaster, domains that refuse everything, duplicate and self-domain forward targets).
#include "config/lint.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hikyaku::config {
namespace {

RouteTarget forward(std::vector<std::string> to) {
  RouteTarget t;
  t.action = RouteAction::forward;
  t.forward_to = std::move(to);
  return t;
}

DomainConfig domain(std::string name, int line, std::vector<RuleConfig> rules) {
  DomainConfig d;
  d.name = std::move(name);
  d.line = line;
  d.rules = std::move(rules);
  return d;
}

RuleConfig rule(std::string address, int line, std::vector<std::string> to) {
  RuleConfig r;
  r.address = std::move(address);
  r.line = line;
  r.target = forward(std::move(to));
  return r;
}

Config base() {
  Config c;
  c.server.hostname = "mx.fwd.example.net";
  c.server.postmaster = "ops@noc.example";
  return c;
}

std::vector<std::string> texts(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.text());
  return out;
}

TEST(ConfigLint, CleanConfigurationHasNoFinding) {
  Config c = base();
  c.domains = {domain("example.com", 1, {rule("info", 2, {"alice@dest.example"})})};
  const auto f = lint(c, "h.toml");
  EXPECT_TRUE(f.errors.empty()) << texts(f.errors).front();
  EXPECT_TRUE(f.warnings.empty()) << texts(f.warnings).front();
}

TEST(ConfigLint, SelfForwardIsALoop) {
  Config c = base();
  c.domains = {domain("example.com", 1, {rule("info", 2, {"Info@EXAMPLE.com"})})};
  EXPECT_EQ(texts(lint(c, "h.toml").errors),
            std::vector<std::string>{"h.toml:2: forwarding loop through our own rules: info@example.com -> "
                                     "info@example.com"});
}

TEST(ConfigLint, CycleThroughASubaddressAndACatchAllIsFound) {
  Config c = base();
  DomainConfig other = domain("other.example", 5, {});
  other.catch_all = forward({"a+tag@example.com"});
  c.domains = {domain("example.com", 1, {rule("a", 2, {"b@example.com"}), rule("b", 3, {"x@other.example"})}),
               other};
  const auto f = lint(c, "h.toml");
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].text(), "h.toml:2: forwarding loop through our own rules: a@example.com -> b@example.com -> "
                                "(catch-all)@other.example -> a@example.com");
}

TEST(ConfigLint, ChainWithoutACycleIsOnlyWarned) {
  Config c = base();
  c.domains = {domain("example.com", 1, {rule("a", 2, {"b@example.com"}), rule("b", 3, {"x@dest.example"})})};
  const auto f = lint(c, "h.toml");
  EXPECT_TRUE(f.errors.empty());
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].text().find("h.toml:2: warning: a@example.com forwards to b@example.com, in a domain "
                                      "served here"),
            std::string::npos);
}

TEST(ConfigLint, Warnings) {
  Config c = base();
  c.server.hostname = "localhost";
  c.server.postmaster.clear();
  c.domains = {domain("example.com", 1, {rule("a", 2, {"x@dest.example", "y@dest.example", "x@dest.example"})}),
               domain("empty.example", 7, {}),
               domain("pm.example", 9, {rule("PostMaster", 10, {"pm@dest.example"})})};
  const auto f = lint(c, "h.toml");
  EXPECT_TRUE(f.errors.empty());
  const auto w = texts(f.warnings);
  ASSERT_EQ(w.size(), 5u) << ::testing::PrintToString(w);
  EXPECT_NE(w[0].find("h.toml: warning: server.hostname \"localhost\" is not a public host name"), std::string::npos);
  EXPECT_NE(w[1].find("h.toml:7: warning: domain empty.example has no rule and no catch-all"), std::string::npos);
  EXPECT_NE(w[2].find("h.toml:2: warning: a@example.com lists x@dest.example twice"), std::string::npos);
  EXPECT_NE(w[3].find("h.toml:7: warning: postmaster@empty.example is refused"), std::string::npos);
  EXPECT_NE(w[4].find("h.toml:1: warning: postmaster@example.com is refused"), std::string::npos);
}

TEST(ConfigLint, ForwardingCatchAllOrOperatorTakesPostmaster) {
  Config c = base();
  c.server.postmaster.clear();
  DomainConfig d = domain("example.com", 1, {});
  d.catch_all = forward({"owner@dest.example"});
  c.domains = {d};
  EXPECT_TRUE(lint(c, "h.toml").warnings.empty());
}

}  // namespace
}  // namespace hikyaku::config
