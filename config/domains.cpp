// The [[domain]] tables: the domains we accept mail for, their [[domain.rule]]s (a local part
// → forward, drop or reject) and catch-alls. Reply codes and text follow RFC 5321 §4.2 and
// RFC 3463 §2; forward targets are RFC 5321 mailboxes (UTF-8 local parts allowed, RFC 6531).
#include <map>

#include "config/sections.hpp"
#include "config/values.hpp"
#include "core/address.hpp"

namespace hikyaku::config::detail {

namespace {

std::string element_path(const TableReader& r, std::string_view key, size_t i) {
  return r.path_of(key) + "[" + std::to_string(i) + "]";
}

int line_or_table(TableReader& r, std::string_view key) {
  const toml::node* node = r.get(key);
  return node != nullptr ? line_of(*node) : r.line();
}

// Reads what a rule or catch-all does: `list_key` ("forward" or "to") names the mailboxes;
// `action` is forward, drop or reject; reject takes `code` (400-599) and `text`.
// `missing` is the complaint when neither the list nor an action is given.
bool read_target(TableReader& r, std::string_view list_key, std::string_view missing, RouteTarget& out) {
  const bool has_list = r.has(list_key);
  const bool has_action = r.has("action");
  std::vector<StringItem> list;
  const bool list_ok = r.read_string_array(list_key, list);
  std::string action_text;
  const bool action_ok = r.read_string("action", action_text);
  int64_t code = 0;
  const bool has_code = r.has("code");
  const bool code_ok = r.read_integer("code", code, 400, 599, "a 4xx or 5xx SMTP reply");
  std::string text;
  const bool has_text = r.has("text");
  const bool text_ok = r.read_string("text", text);

  if (!has_list && !has_action) {
    r.error_here(missing);
    return false;
  }
  RouteAction action = RouteAction::forward;
  if (has_action) {
    if (!action_ok) return false;
    if (action_text == "forward") {
      action = RouteAction::forward;
    } else if (action_text == "drop") {
      action = RouteAction::drop;
    } else if (action_text == "reject") {
      action = RouteAction::reject;
    } else {
      r.error(line_or_table(r, "action"), "action",
              "unknown action " + quote(action_text) + " (expected forward, drop or reject)");
      return false;
    }
  }

  bool ok = true;
  if (action != RouteAction::reject) {
    for (std::string_view key : {std::string_view("code"), std::string_view("text")}) {
      if (r.has(key)) {
        r.error(line_or_table(r, key), key, "only applies to action \"reject\"");
        ok = false;
      }
    }
  }
  out = RouteTarget{};
  out.action = action;
  if (action == RouteAction::forward) {
    if (!has_list) {
      r.error_here("action \"forward\" needs " + std::string(list_key) + " = [\"user@example.net\", ...]");
      return false;
    }
    if (!list_ok) return false;
    if (list.empty()) {
      r.error(line_or_table(r, list_key), list_key, "empty list; name at least one address to forward to");
      return false;
    }
    for (auto& item : list) {
      auto mailbox = core::parse_mailbox(item.value, true);
      if (!mailbox) {
        r.diag().error(item.line, item.path + ": bad mailbox " + quote(item.value) + ": " +
                                      std::string(core::describe(mailbox.error())));
        ok = false;
        continue;
      }
      out.forward_to.push_back(std::move(item.value));
    }
    return ok;
  }
  if (has_list) {
    r.error(line_or_table(r, list_key), list_key, "cannot be combined with action " + quote(action_text));
    ok = false;
  }
  if (action == RouteAction::reject) {
    if (has_code && !code_ok) return false;
    if (has_code) out.reply_code = static_cast<int>(code);
    if (has_text) {
      if (!text_ok) return false;
      if (auto problem = check_reply_text(text, out.reply_code)) {
        r.error(line_or_table(r, "text"), "text", *problem);
        return false;
      }
      out.reply_text = std::move(text);
    } else {
      out.reply_text = default_reject_text(out.reply_code);
    }
  }
  return ok;
}

void read_rules(TableReader& r, DomainConfig& domain) {
  const toml::array* rules = r.read_table_array("rule");
  if (rules == nullptr) return;
  std::map<std::string, int> seen;  // lowercased local part → line
  for (size_t i = 0; i < rules->size(); ++i) {
    const toml::table* t = rules->get(i)->as_table();
    if (t == nullptr) continue;
    TableReader rr(*t, element_path(r, "rule", i), r.diag());
    RuleConfig rule;
    rule.line = rr.line();
    if (rr.read_string("address", rule.address)) {
      const int line = line_or_table(rr, "address");
      if (auto problem = check_local_part(rule.address)) {
        rr.error(line, "address", "bad local part " + quote(rule.address) + ": " + *problem);
      } else {
        auto [it, inserted] = seen.emplace(core::ascii_lower(rule.address), line);
        if (!inserted) {
          rr.error(line, "address",
                   "duplicate rule for " + quote(rule.address) + " (first at line " +
                       std::to_string(it->second) + ")");
        }
      }
    } else if (!rr.has("address")) {
      rr.error_here("address is required");
    }
    read_target(rr, "forward", "needs forward = [...] or action", rule.target);
    FromRewriteMode mode = FromRewriteMode::when_needed;
    if (read_from_rewrite_mode(rr, mode)) rule.from_rewrite = mode;
    rr.finish();
    domain.rules.push_back(std::move(rule));
  }
}

}  // namespace

void read_domains(TableReader& root, std::vector<DomainConfig>& out) {
  const toml::array* domains = root.read_table_array("domain");
  if (domains == nullptr) return;
  std::map<std::string, int> seen;  // A-label name → line
  for (size_t i = 0; i < domains->size(); ++i) {
    const toml::table* t = domains->get(i)->as_table();
    if (t == nullptr) continue;
    TableReader r(*t, element_path(root, "domain", i), root.diag());
    DomainConfig domain;
    domain.line = r.line();
    if (r.read_string("name", domain.name)) {
      const int line = line_or_table(r, "name");
      auto ascii = core::domain_to_ascii(domain.name);
      if (!ascii) {
        r.error(line, "name", bad_domain_message(domain.name, ascii.error()));
      } else {
        auto [it, inserted] = seen.emplace(core::ascii_lower(*ascii), line);
        if (!inserted) {
          r.error(line, "name",
                  "duplicate domain " + quote(domain.name) + " (first at line " + std::to_string(it->second) +
                      ")");
        }
      }
    } else if (!r.has("name")) {
      r.error_here("name is required");
    }
    if (const toml::table* c = r.read_table("catch_all")) {
      TableReader cr(*c, r.path_of("catch_all"), r.diag());
      RouteTarget target;
      if (read_target(cr, "to", "needs an action (forward, drop or reject)", target))
        domain.catch_all = target;
      cr.finish();
    }
    r.read_bool("subaddressing", domain.subaddressing);
    std::string separator;
    if (r.read_string("subaddress_separator", separator)) {
      if (auto problem = check_separator(separator)) {
        r.error(line_or_table(r, "subaddress_separator"), "subaddress_separator", *problem);
      } else {
        domain.subaddress_separator = std::move(separator);
      }
    }
    bool enforce = true;
    if (r.read_bool("dmarc_enforce", enforce)) domain.dmarc_enforce = enforce;
    QuarantineAction quarantine = QuarantineAction::forward;
    if (read_quarantine_action(r, quarantine)) domain.quarantine = quarantine;
    read_from_rewrite_mode(r, domain.from_rewrite);
    read_rules(r, domain);
    r.finish();
    out.push_back(std::move(domain));
  }
}

}  // namespace hikyaku::config::detail
