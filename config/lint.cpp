// config/lint: graph walk over the forward rules of the served domains, plus per-key checks.
#include "config/lint.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/address.hpp"

namespace hikyaku::config {

namespace {

// One forwarding node: a rule, or a domain's catch-all ("*" as local part).
struct Node {
  std::string domain;  // A-labels
  std::string local;   // lowercase; "*" for the catch-all
  int line = 0;
  std::string name() const { return (local == "*" ? std::string("(catch-all)") : local) + "@" + domain; }
};

struct Graph {
  std::vector<Node> nodes;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (domain, local) -> node
  std::vector<std::vector<size_t>> edges;
};

std::string rule_key(const std::string& address, const std::string& domain) {
  if (const auto at = address.rfind('@'); at != std::string::npos) {
    auto parsed = core::parse_mailbox(address, true);
    if (parsed && parsed->domain == domain) return core::ascii_lower(parsed->local);
  }
  return core::ascii_lower(address);
}

// The node a destination reaches when it is one of ours: its rule, else the domain's catch-all;
// a subaddress falls back to its base as the router does.
std::optional<size_t> target_node(const Graph& g, const std::map<std::string, const DomainConfig*>& served,
                                  const core::Address& dest) {
  const auto domain = served.find(dest.domain);
  if (domain == served.end()) return std::nullopt;
  const std::string local = core::ascii_lower(dest.local);
  if (auto it = g.index.find({dest.domain, local}); it != g.index.end()) return it->second;
  if (domain->second->subaddressing) {
    const size_t cut = local.find_first_of(domain->second->subaddress_separator);
    if (cut != std::string::npos && cut > 0) {
      if (auto it = g.index.find({dest.domain, local.substr(0, cut)}); it != g.index.end()) return it->second;
    }
  }
  if (auto it = g.index.find({dest.domain, "*"}); it != g.index.end()) return it->second;
  return std::nullopt;
}

// Every cycle's first node in order, as a path "a@x -> b@x -> a@x" (each cycle reported once).
std::vector<std::pair<int, std::string>> cycles(const Graph& g) {
  std::vector<std::pair<int, std::string>> out;
  std::vector<int> state(g.nodes.size(), 0);  // 0 new, 1 on the stack, 2 done
  std::vector<size_t> stack;
  std::function<void(size_t)> visit = [&](size_t n) {
    state[n] = 1;
    stack.push_back(n);
    for (const size_t next : g.edges[n]) {
      if (state[next] == 1) {
        std::string path;
        size_t from = 0;
        while (stack[from] != next) ++from;
        for (size_t i = from; i < stack.size(); ++i) path += g.nodes[stack[i]].name() + " -> ";
        path += g.nodes[next].name();
        out.emplace_back(g.nodes[next].line, path);
      } else if (state[next] == 0) {
        visit(next);
      }
    }
    stack.pop_back();
    state[n] = 2;
  };
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    if (state[n] == 0) visit(n);
  }
  return out;
}

}  // namespace

LintFindings lint(const Config& c, const std::string& file) {
  LintFindings f;
  const auto error = [&](int line, std::string message) { f.errors.push_back(ConfigError{file, line, std::move(message)}); };
  const auto warn = [&](int line, std::string message) {
    f.warnings.push_back(ConfigError{file, line, "warning: " + std::move(message)});
  };

  // RFC 5321 §4.1.4: the EHLO name is a fully-qualified domain name; "localhost" is refused by
  // receivers and makes every greeting of ours look like a loop.
  if (c.server.hostname == "localhost" || c.server.hostname.find('.') == std::string::npos) {
    warn(0, "server.hostname \"" + c.server.hostname +
                "\" is not a public host name: it is our banner, EHLO name (relay.helo_name) and Received: "
                "name; set the name the MX records point at");
  }

  std::map<std::string, const DomainConfig*> served;
  for (const auto& d : c.domains) {
    if (auto ascii = core::domain_to_ascii(d.name)) served.emplace(*ascii, &d);
  }
  Graph g;
  std::vector<std::pair<size_t, const RouteTarget*>> targets;
  for (const auto& [ascii, d] : served) {
    for (const auto& rule : d->rules) {
      const std::string key = rule_key(rule.address, ascii);
      if (g.index.count({ascii, key})) continue;  // a duplicate rule: refused by the loader
      g.index.emplace(std::make_pair(ascii, key), g.nodes.size());
      targets.emplace_back(g.nodes.size(), &rule.target);
      g.nodes.push_back(Node{ascii, key, rule.line});
    }
    if (d->catch_all) {
      g.index.emplace(std::make_pair(ascii, std::string("*")), g.nodes.size());
      targets.emplace_back(g.nodes.size(), &*d->catch_all);
      g.nodes.push_back(Node{ascii, "*", d->line});
    }
    if (d->rules.empty() && !d->catch_all) {
      warn(d->line, "domain " + d->name + " has no rule and no catch-all: every recipient is refused (550 5.1.1)");
    }
  }
  g.edges.resize(g.nodes.size());
  for (const auto& [n, target] : targets) {
    if (target->action != RouteAction::forward) continue;
    std::set<std::string> seen;
    for (const auto& text : target->forward_to) {
      auto dest = core::parse_mailbox(text, true);
      if (!dest) continue;  // refused by the loader
      if (!seen.insert(dest->local + "@" + dest->domain).second) {
        warn(g.nodes[n].line, g.nodes[n].name() + " lists " + dest->str() + " twice (it gets one copy)");
      }
      if (!served.count(dest->domain)) continue;
      if (auto next = target_node(g, served, *dest)) g.edges[n].push_back(*next);
      {
        warn(g.nodes[n].line, g.nodes[n].name() + " forwards to " + dest->str() +
                                  ", in a domain served here: it is delivered through that domain's MX, and when "
                                  "that MX is this relay the delivery is refused as a loop (RFC 5321 §5.1)");
      }
    }
  }
  for (const auto& [line, path] : cycles(g)) error(line, "forwarding loop through our own rules: " + path);

  // RFC 5321 §4.5.1 / RFC 2142: postmaster must be accepted.
  if (c.server.postmaster.empty()) {
    for (const auto& [ascii, d] : served) {
      // A named copy: C++20 lambdas cannot capture a structured binding under clang 14.
      const std::string& domain = ascii;
      const bool has_rule = std::any_of(d->rules.begin(), d->rules.end(), [&](const RuleConfig& r) {
        return rule_key(r.address, domain) == "postmaster";
      });
      const bool forwarded = d->catch_all && d->catch_all->action == RouteAction::forward;
      if (!has_rule && !forwarded) {
        warn(d->line, "postmaster@" + ascii + " is refused (no rule, no forwarding catch-all, no "
                      "server.postmaster): RFC 5321 §4.5.1 requires accepting it");
      }
    }
  }
  return f;
}

}  // namespace hikyaku::config
