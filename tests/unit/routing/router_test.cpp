// Unit tests for routing/Router: rules, RFC 5233 subaddresses, catch-alls, reject replies with
// RFC 3463 codes, RFC 5321 §4.1.1.3 bare postmaster, RFC 6531 UTF-8 local parts and IDN
// domains, and the no-open-relay property (parse_path + route over hostile address forms).
#include "routing/router.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/address.hpp"

namespace hikyaku::routing {
namespace {

using config::DomainConfig;
using config::RouteAction;
using config::RouteTarget;
using config::RuleConfig;

RouteTarget forward(std::vector<std::string> to) {
  RouteTarget t;
  t.action = RouteAction::forward;
  t.forward_to = std::move(to);
  return t;
}
RouteTarget drop() {
  RouteTarget t;
  t.action = RouteAction::drop;
  return t;
}
RouteTarget reject(int code, std::string text) {
  RouteTarget t;
  t.action = RouteAction::reject;
  t.reply_code = code;
  t.reply_text = std::move(text);
  return t;
}
RuleConfig rule(std::string address, RouteTarget t) {
  RuleConfig r;
  r.address = std::move(address);
  r.target = std::move(t);
  return r;
}

std::vector<DomainConfig> test_config() {
  DomainConfig main;
  main.name = "Example.COM";
  main.subaddress_separator = "+-";
  main.rules = {
      rule("info", forward({"alice@dest.example"})),
      rule("info+vip", forward({"vip@dest.example"})),
      rule("sales", forward({"a@dest.example", "B@Dest.Example", "a@dest.example"})),
      rule("junk", drop()),
      rule("gone", reject(550, "5.1.6 Mailbox has moved")),
      rule("busy", reject(450, "4.2.1 Try again later")),
      rule("mismatch", reject(550, "4.2.1 Wrong class")),
      rule("plain", reject(554, "Go away")),
      rule("codeonly", reject(550, "5.7.1")),
      rule("postmaster", forward({"admin@dest.example"})),
      rule("ü", forward({"umlaut@dest.example"})),
      rule("full@example.com", forward({"full@dest.example"})),
      rule("broken", forward({"not an address", "x@y..z"})),
      rule("info", forward({"second-rule-ignored@dest.example"})),
  };
  DomainConfig catch_all;
  catch_all.name = "catch.example";
  catch_all.subaddressing = false;
  catch_all.rules = {rule("x", drop())};
  catch_all.catch_all = forward({"all@dest.example"});
  DomainConfig ulabel;
  ulabel.name = "例え.example";
  ulabel.rules = {rule("ü", forward({"u-ulabel@dest.example"})), rule("Info", drop())};
  DomainConfig alabel;
  alabel.name = "xn--bcher-kva.example";
  alabel.rules = {rule("ü", forward({"u-alabel@dest.example"}))};
  DomainConfig multi;
  multi.name = "multi.example";
  multi.subaddress_separator = "ー+";  // a non-ASCII separator as well
  multi.rules = {rule("info", forward({"multi@dest.example"}))};
  DomainConfig bad;
  bad.name = "bad..example";
  bad.catch_all = forward({"never@dest.example"});
  DomainConfig dup;
  dup.name = "EXAMPLE.com";
  dup.catch_all = forward({"never@dest.example"});
  return {main, catch_all, ulabel, alabel, multi, bad, dup};
}

// Every destination the configuration can produce, as parsed mailboxes.
std::set<std::string> configured_destinations() {
  std::set<std::string> out;
  for (const auto& d : test_config()) {
    auto add = [&](const RouteTarget& t) {
      for (const auto& x : t.forward_to) {
        if (auto a = core::parse_mailbox(x, true)) out.insert(a->str());
      }
    };
    for (const auto& r : d.rules) add(r.target);
    if (d.catch_all) add(*d.catch_all);
  }
  return out;
}

constexpr core::PathOptions kRcptUtf8{
    .allow_null = false, .allow_utf8 = true, .allow_bare_postmaster = true};

std::string describe_decision(const RouteDecision& d) {
  static const char* names[] = {"forward", "drop", "reject", "unknown_user", "relay_denied"};
  std::string out = names[static_cast<int>(d.disposition)];
  out += " | " + d.reply.summary() + " | " + d.matched + " |";
  for (const auto& a : d.destinations) out += " " + a.str();
  return out;
}

std::string route_path(const Router& router, const std::string& path) {
  const auto a = core::parse_path(path, kRcptUtf8);
  if (!a) return "parse error: " + std::string(core::describe(a.error()));
  return describe_decision(router.route(core::Envelope{}, *a));
}

TEST(Router, DecisionTable) {
  const Router router(test_config());
  struct Case {
    std::string path;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"<info@example.com>", "forward | 250 2.1.5 Ok | rule info@example.com | alice@dest.example"},
      {"<INFO@EXAMPLE.COM>", "forward | 250 2.1.5 Ok | rule info@example.com | alice@dest.example"},
      {"<\"info\"@example.com>",
       "forward | 250 2.1.5 Ok | rule info@example.com | alice@dest.example"},
      {"<info+news@example.com>",
       "forward | 250 2.1.5 Ok | rule info@example.com (subaddress) | alice@dest.example"},
      {"<info-news@example.com>",
       "forward | 250 2.1.5 Ok | rule info@example.com (subaddress) | alice@dest.example"},
      {"<info+a-b@example.com>",
       "forward | 250 2.1.5 Ok | rule info@example.com (subaddress) | alice@dest.example"},
      {"<info+vip@example.com>",
       "forward | 250 2.1.5 Ok | rule info+vip@example.com | vip@dest.example"},
      {"<Info+VIP@example.com>",
       "forward | 250 2.1.5 Ok | rule info+vip@example.com | vip@dest.example"},
      {"<info+vip+x@example.com>",
       "forward | 250 2.1.5 Ok | rule info@example.com (subaddress) | alice@dest.example"},
      {"<+info@example.com>",
       "unknown_user | 550 5.1.1 <+info@example.com>: Recipient address rejected: User unknown"
       " | no rule in example.com |"},
      {"<info.x@example.com>",
       "unknown_user | 550 5.1.1 <info.x@example.com>: Recipient address rejected: User unknown"
       " | no rule in example.com |"},
      {"<sales@example.com>",
       "forward | 250 2.1.5 Ok | rule sales@example.com | a@dest.example B@dest.example"},
      {"<junk@example.com>", "drop | 250 2.1.5 Ok | rule junk@example.com |"},
      {"<junk+x@example.com>", "drop | 250 2.1.5 Ok | rule junk@example.com (subaddress) |"},
      {"<gone@example.com>", "reject | 550 5.1.6 Mailbox has moved | rule gone@example.com |"},
      {"<busy@example.com>", "reject | 450 4.2.1 Try again later | rule busy@example.com |"},
      {"<mismatch@example.com>",
       "reject | 550 5.0.0 4.2.1 Wrong class | rule mismatch@example.com |"},
      {"<plain@example.com>", "reject | 554 5.0.0 Go away | rule plain@example.com |"},
      {"<codeonly@example.com>",
       "reject | 550 5.7.1 Recipient address rejected | rule codeonly@example.com |"},
      {"<full@example.com>", "forward | 250 2.1.5 Ok | rule full@example.com | full@dest.example"},
      {"<broken@example.com>",
       "reject | 451 4.3.5 Forwarding destination misconfigured | rule broken@example.com |"},
      {"<nobody@example.com>",
       "unknown_user | 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"
       " | no rule in example.com |"},
      // Bare postmaster routes as postmaster@<first configured domain> (RFC 5321 §4.1.1.3).
      {"<postmaster>", "forward | 250 2.1.5 Ok | rule postmaster@example.com | admin@dest.example"},
      {"<PostMaster>", "forward | 250 2.1.5 Ok | rule postmaster@example.com | admin@dest.example"},
      // Catch-all; subaddressing off for this domain.
      {"<x@catch.example>", "drop | 250 2.1.5 Ok | rule x@catch.example |"},
      {"<x+y@catch.example>",
       "forward | 250 2.1.5 Ok | catch-all catch.example | all@dest.example"},
      {"<anyone@catch.example>",
       "forward | 250 2.1.5 Ok | catch-all catch.example | all@dest.example"},
      // Multi-character separators, including a non-ASCII one.
      {"<infoーtag@multi.example>",
       "forward | 250 2.1.5 Ok | rule info@multi.example (subaddress) | multi@dest.example"},
      {"<info+tag@multi.example>",
       "forward | 250 2.1.5 Ok | rule info@multi.example (subaddress) | multi@dest.example"},
      // Bad and duplicate domain entries are skipped; the first definition wins.
      {"<x@bad..example>", "parse error: address syntax error"},
      {"<other@example.com>",
       "unknown_user | 550 5.1.1 <other@example.com>: Recipient address rejected: User unknown"
       " | no rule in example.com |"},
      // Not ours.
      {"<info@other.example>",
       "relay_denied | 550 5.7.1 <info@other.example>: Relay access denied"
       " | not served other.example |"},
      {"<info@sub.example.com>",
       "relay_denied | 550 5.7.1 <info@sub.example.com>: Relay access denied"
       " | not served sub.example.com |"},
      {"<info@[192.0.2.1]>",
       "relay_denied | 550 5.7.1 <info@[192.0.2.1]>: Relay access denied | not served (none) |"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(route_path(router, c.path), c.expected);
  }
}

// RFC 6531: UTF-8 local parts under SMTPUTF8, domains configured as U-labels or A-labels and
// written either way by the client.
TEST(Router, Utf8LocalPartsAndIdnDomains) {
  const Router router(test_config());
  struct Case {
    std::string path;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"<ü@例え.example>",
       "forward | 250 2.1.5 Ok | rule ü@xn--r8jz45g.example | u-ulabel@dest.example"},
      {"<ü@xn--r8jz45g.example>",
       "forward | 250 2.1.5 Ok | rule ü@xn--r8jz45g.example | u-ulabel@dest.example"},
      {"<ü@bücher.example>",
       "forward | 250 2.1.5 Ok | rule ü@xn--bcher-kva.example | u-alabel@dest.example"},
      {"<ü@XN--BCHER-KVA.example>",
       "forward | 250 2.1.5 Ok | rule ü@xn--bcher-kva.example | u-alabel@dest.example"},
      {"<ü@BÜCHER.example>",
       "forward | 250 2.1.5 Ok | rule ü@xn--bcher-kva.example | u-alabel@dest.example"},
      {"<\"ü\"@example.com>", "forward | 250 2.1.5 Ok | rule ü@example.com | umlaut@dest.example"},
      {"<ü+tag@example.com>",
       "forward | 250 2.1.5 Ok | rule ü@example.com (subaddress) | umlaut@dest.example"},
      {"<INFO@例え.example>", "drop | 250 2.1.5 Ok | rule info@xn--r8jz45g.example |"},
      // Non-ASCII octets compare exactly: Ü is not ü.
      {"<Ü@例え.example>",
       "unknown_user | 550 5.1.1 <Ü@xn--r8jz45g.example>: Recipient address rejected: User "
       "unknown | no rule in xn--r8jz45g.example |"},
      {"<u\xcc\x88@example.com>",  // decomposed ü is a different local part
       "unknown_user | 550 5.1.1 <u\xcc\x88@example.com>: Recipient address rejected: User "
       "unknown | no rule in example.com |"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(route_path(router, c.path), c.expected);
  }
  // Without SMTPUTF8 the parser refuses them before routing.
  EXPECT_FALSE(core::parse_path("<ü@example.com>", core::PathOptions{}));
}

TEST(Router, Serves) {
  const Router router(test_config());
  EXPECT_TRUE(router.serves("example.com"));
  EXPECT_TRUE(router.serves("EXAMPLE.COM"));
  EXPECT_TRUE(router.serves("xn--r8jz45g.example"));
  EXPECT_TRUE(router.serves("xn--bcher-kva.example"));
  EXPECT_FALSE(router.serves("bad..example"));
  EXPECT_FALSE(router.serves("other.example"));
  EXPECT_FALSE(router.serves("example.com."));
  EXPECT_FALSE(router.serves(""));
}

TEST(Router, DomainPolicyOverrides) {
  auto domains = test_config();
  domains[0].dmarc_enforce = false;
  domains[0].quarantine = config::QuarantineAction::reject;
  const Router router(domains);
  const auto policy = router.domain_policy("EXAMPLE.com");
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->dmarc_enforce, std::optional<bool>(false));
  EXPECT_EQ(policy->quarantine, std::optional<config::QuarantineAction>(config::QuarantineAction::reject));
  const auto other = router.domain_policy("xn--bcher-kva.example");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->dmarc_enforce);
  EXPECT_FALSE(other->quarantine);
  EXPECT_FALSE(router.domain_policy("other.example"));
}

TEST(Router, EmptyConfigurationServesNothing) {
  const Router router({});
  EXPECT_FALSE(router.serves("example.com"));
  core::Address pm;
  pm.local = "postmaster";
  EXPECT_EQ(router.route(core::Envelope{}, pm).disposition, Disposition::relay_denied);
  core::Address null;
  EXPECT_EQ(router.route(core::Envelope{}, null).disposition, Disposition::relay_denied);
}

// [server] postmaster (RFC 5321 §4.5.1, RFC 2142): postmaster@ and abuse@ reach the operator
// unless the domain has a rule for them; a catch-all does not take them; other addresses are
// unchanged; with no domain at all the bare Postmaster still reaches the operator.
TEST(Router, RoleMailboxesReachTheOperator) {
  const Router router(test_config(), std::nullopt, "ops@noc.example");
  const std::vector<std::pair<std::string, std::string>> cases = {
      // A rule of the domain wins.
      {"<postmaster@example.com>", "forward | 250 2.1.5 Ok | rule postmaster@example.com | admin@dest.example"},
      {"<postmaster>", "forward | 250 2.1.5 Ok | rule postmaster@example.com | admin@dest.example"},
      {"<Abuse@Example.com>",
       "forward | 250 2.1.5 Ok | abuse@example.com (server.postmaster) | ops@noc.example"},
      // Before the catch-all (which here would forward to the domain owner).
      {"<postmaster@catch.example>",
       "forward | 250 2.1.5 Ok | postmaster@catch.example (server.postmaster) | ops@noc.example"},
      {"<abuse@multi.example>",
       "forward | 250 2.1.5 Ok | abuse@multi.example (server.postmaster) | ops@noc.example"},
      {"<other@catch.example>", "forward | 250 2.1.5 Ok | catch-all catch.example | all@dest.example"},
      {"<hostmaster@multi.example>",
       "unknown_user | 550 5.1.1 <hostmaster@multi.example>: Recipient address rejected: User unknown | "
       "no rule in multi.example |"},
      {"<postmaster@elsewhere.example>",
       "relay_denied | 550 5.7.1 <postmaster@elsewhere.example>: Relay access denied | not served "
       "elsewhere.example |"},
  };
  for (const auto& [path, expected] : cases) EXPECT_EQ(route_path(router, path), expected) << path;

  const Router none({}, std::nullopt, "ops@noc.example");
  EXPECT_EQ(route_path(none, "<Postmaster>"),
            "forward | 250 2.1.5 Ok | postmaster (server.postmaster) | ops@noc.example");
  EXPECT_EQ(route_path(none, "<postmaster@example.com>"),
            "relay_denied | 550 5.7.1 <postmaster@example.com>: Relay access denied | not served example.com |");
  // Unset: the role mailboxes follow the rules and catch-all like any other.
  const Router unset(test_config());
  EXPECT_EQ(route_path(unset, "<abuse@catch.example>"),
            "forward | 250 2.1.5 Ok | catch-all catch.example | all@dest.example");
}

// An Address built elsewhere (not by the parser) with a U-label or uppercase domain routes the
// same; one with an invalid domain is refused.
TEST(Router, NormalisesHandBuiltAddresses) {
  const Router router(test_config());
  EXPECT_EQ(router.route(core::Envelope{}, core::Address{"info", "EXAMPLE.com", false}).disposition,
            Disposition::forward);
  EXPECT_EQ(router.route(core::Envelope{}, core::Address{"ü", "例え.example", true}).disposition,
            Disposition::forward);
  EXPECT_EQ(
      router.route(core::Envelope{}, core::Address{"info", "example.com.", false}).disposition,
      Disposition::relay_denied);
  EXPECT_EQ(router.route(core::Envelope{}, core::Address{"info", "", false}).disposition,
            Disposition::relay_denied);
}

// Never an open relay: every hostile form either fails to parse, is refused, or is routed to a
// destination that the configuration names. Foreign final domains are always relay_denied.
TEST(Router, NeverAnOpenRelay) {
  const Router router(test_config());
  const std::set<std::string> allowed = configured_destinations();
  const std::vector<std::string> locals = {"user",
                                           "info",
                                           "info+x",
                                           "postmaster",
                                           "user%other.example",
                                           "info%other.example",
                                           "\"user@other.example\"",
                                           "\"info@other.example\"",
                                           "other.example!user",
                                           "other.example!info",
                                           "\"@other.example:user\"",
                                           "user%other.example%catch.example",
                                           "\"info\\@other.example\"",
                                           "info+user%other.example",
                                           "ü",
                                           "\"<user@other.example>\""};
  const std::vector<std::string> domains = {"example.com",
                                            "EXAMPLE.COM",
                                            "catch.example",
                                            "other.example",
                                            "OTHER.EXAMPLE",
                                            "other.example.",
                                            "example.com.",
                                            "example.com.other.example",
                                            "other.example.example.com",
                                            "[192.0.2.1]",
                                            "[127.0.0.1]",
                                            "[IPv6:2001:db8::1]",
                                            "[IPv6:::1]",
                                            "othér.example",
                                            "xn--othr-bpa.example",
                                            "ｅｘａｍｐｌｅ.com",
                                            "dest.example",
                                            "example.com@other.example",
                                            "other.example:example.com",
                                            "example\\.com",
                                            "localhost"};
  const std::vector<std::string> routes = {"",
                                           "@example.com:",
                                           "@other.example:",
                                           "@example.com,@other.example:",
                                           "@other.example,@example.com:",
                                           "@[192.0.2.1]:"};
  const std::vector<core::PathOptions> option_sets = {
      {}, {.allow_null = true, .allow_utf8 = true, .allow_bare_postmaster = true}};
  size_t forwarded = 0, denied = 0, parsed = 0;
  for (const auto& route : routes) {
    for (const auto& local : locals) {
      for (const auto& domain : domains) {
        const std::string path = "<" + route + local + "@" + domain + ">";
        for (const auto& opts : option_sets) {
          const auto a = core::parse_path(path, opts);
          if (!a) continue;
          ++parsed;
          const RouteDecision d = router.route(core::Envelope{}, *a);
          SCOPED_TRACE(path + " -> " + describe_decision(d));
          if (!router.serves(a->domain)) {
            EXPECT_EQ(d.disposition, Disposition::relay_denied);
            EXPECT_EQ(d.reply.code, 550);
            ++denied;
          }
          if (d.disposition == Disposition::forward) {
            ++forwarded;
            EXPECT_FALSE(d.destinations.empty());
            for (const auto& dest : d.destinations) EXPECT_EQ(allowed.count(dest.str()), 1u);
          } else {
            EXPECT_TRUE(d.destinations.empty());
          }
          if (d.disposition == Disposition::relay_denied) {
            EXPECT_FALSE(d.reply.positive());
          }
        }
      }
    }
  }
  // The table must exercise all outcomes, or it proves nothing.
  EXPECT_GT(parsed, 500u);
  EXPECT_GT(forwarded, 50u);
  EXPECT_GT(denied, 200u);
}

// Specific hostile forms, with the exact outcome each must have.
TEST(Router, HostileFormsExactOutcomes) {
  const Router router(test_config());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<@example.com:user@other.example>", "relay_denied"},
      {"<@other.example:info@example.com>", "forward alice@dest.example"},
      {"<info%other.example@example.com>", "unknown_user"},
      {"<user%other.example@catch.example>", "forward all@dest.example"},
      {"<\"info@other.example\"@example.com>", "unknown_user"},
      {"<other.example!info@example.com>", "unknown_user"},
      {"<info@other.example.>", "parse error"},
      {"<info@example.com.>", "parse error"},
      {"<info@[192.0.2.1]>", "relay_denied"},
      {"<info@[IPv6:::1]>", "relay_denied"},
      {"<info@OTHER.example>", "relay_denied"},
      {"<info@othér.example>", "relay_denied"},
      {"<info@ｅｘａｍｐｌｅ.com>", "forward alice@dest.example"},  // UTS #46 maps to ours
      {"<info@dest.example>", "relay_denied"},
      {"<info@example.com>x", "parse error"},
      {"<info@example.com> <user@other.example>", "parse error"},
  };
  for (const auto& [path, expected] : cases) {
    SCOPED_TRACE(path);
    const auto a = core::parse_path(path, kRcptUtf8);
    std::string got;
    if (!a) {
      got = "parse error";
    } else {
      const auto d = router.route(core::Envelope{}, *a);
      static const char* names[] = {"forward", "drop", "reject", "unknown_user", "relay_denied"};
      got = names[static_cast<int>(d.disposition)];
      for (const auto& dest : d.destinations) got += " " + dest.str();
    }
    EXPECT_EQ(got, expected);
  }
}

}  // namespace
}  // namespace hikyaku::routing
