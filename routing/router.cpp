// Recipient routing tables and the RCPT decision. Pure: no I/O, no clock.
// RFC 5321 §3.9 / §2.3.11 (aliases, forwarding), §4.1.1.3 (bare "Postmaster"), RFC 5233
// (subaddressing), RFC 6531 §3.3 (UTF-8 local parts), RFC 3463 (enhanced status codes).
// Only configured domains are accepted and every destination comes from the configuration.
#include "routing/router.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace hikyaku::routing {

namespace {

using core::Address;
using core::SmtpReply;

struct Target {
  config::RouteAction action = config::RouteAction::reject;
  config::FromRewriteMode from_rewrite = config::FromRewriteMode::when_needed;
  std::vector<Address> destinations;  // parsed once, for forward
  SmtpReply reply;                    // the RCPT reply
};

struct DomainTable {
  std::string ascii;                              // A-labels, lowercase
  std::unordered_map<std::string, Target> rules;  // key: ascii_lower(local part)
  std::optional<Target> catch_all;
  bool subaddressing = true;
  std::vector<std::string> separators;  // each one character (one UTF-8 sequence)
  DomainPolicy policy;
};

bool is_digits(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Length of the UTF-8 sequence that starts with `c` (1 for ASCII or a stray octet).
size_t utf8_length(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF4) return 4;
  if (c >= 0xE0) return c <= 0xEF ? 3 : 1;
  if (c >= 0xC2) return 2;
  return 1;
}

std::vector<std::string> split_characters(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const size_t len = std::min(utf8_length(static_cast<unsigned char>(s[i])), s.size() - i);
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// Offset of the first subaddress separator in `local`, whole characters only (RFC 5233 §1).
size_t find_separator(std::string_view local, const std::vector<std::string>& separators) {
  for (size_t i = 0; i < local.size();) {
    const size_t len =
        std::min(utf8_length(static_cast<unsigned char>(local[i])), local.size() - i);
    const std::string_view ch = local.substr(i, len);
    for (const auto& sep : separators) {
      if (ch == sep) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// The configured reject reply. A text starting with an enhanced status code of the same class
// ("5.7.1 go away" with 550) has it split off (RFC 3463 §2: class.subject.detail, subject and
// detail 1-3 digits); otherwise the generic X.0.0 of the reply's class is used.
SmtpReply reject_reply(int code, std::string_view text) {
  if (code < 400 || code > 599) code = 550;  // a reject must refuse (RFC 5321 §4.2.1)
  const char cls = code >= 500 ? '5' : '4';
  std::string enhanced = cls == '5' ? "5.0.0" : "4.0.0";
  const size_t space = text.find(' ');
  const std::string_view head = text.substr(0, space);
  const size_t dot1 = head.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : head.find('.', dot1 + 1);
  if (head.size() >= 5 && head[0] == cls && dot1 == 1 && dot2 != std::string_view::npos &&
      is_digits(head.substr(2, dot2 - 2), 3) && is_digits(head.substr(dot2 + 1), 3)) {
    enhanced = std::string(head);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  if (text.empty()) text = "Recipient address rejected";
  return SmtpReply::make(code, enhanced, text);
}

Target build_target(const config::RouteTarget& t) {
  Target out;
  out.action = t.action;
  switch (t.action) {
    case config::RouteAction::forward:
      for (const auto& dest : t.forward_to) {
        auto a = core::parse_mailbox(dest, true);
        if (!a) continue;  // validated by config/loader; a bad entry here is skipped
        const bool dup = std::any_of(
            out.destinations.begin(), out.destinations.end(),
            [&](const Address& d) { return d.local == a->local && d.domain == a->domain; });
        if (!dup) out.destinations.push_back(std::move(*a));
      }
      if (out.destinations.empty()) {
        // Nowhere to send it: refuse temporarily rather than accept and lose the mail.
        // RFC 3463 §3.4: X.3.5 "System incorrectly configured".
        out.action = config::RouteAction::reject;
        out.reply = SmtpReply::make(451, "4.3.5", "Forwarding destination misconfigured");
      } else {
        out.reply = SmtpReply::make(250, "2.1.5", "Ok");
      }
      break;
    case config::RouteAction::drop:
      out.reply = SmtpReply::make(250, "2.1.5", "Ok");  // accepted and discarded, by design
      break;
    case config::RouteAction::reject:
      out.reply = reject_reply(t.reply_code, t.reply_text);
      break;
  }
  return out;
}

// A rule's "address" is the local part; "local@domain" of the same domain is accepted too.
std::optional<std::string> rule_key(const std::string& address, const std::string& domain) {
  if (address.find('@') != std::string::npos) {
    auto a = core::parse_mailbox(address, true);
    if (a && a->domain == domain) return core::ascii_lower(a->local);
  }
  if (address.empty() ||
      address.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos) {
    return std::nullopt;
  }
  return core::ascii_lower(address);
}

RouteDecision decide(const Target& t, std::string matched) {
  RouteDecision d;
  switch (t.action) {
    case config::RouteAction::forward:
      d.disposition = Disposition::forward;
      d.destinations = t.destinations;
      break;
    case config::RouteAction::drop:
      d.disposition = Disposition::drop;
      break;
    case config::RouteAction::reject:
      d.disposition = Disposition::reject;
      break;
  }
  d.reply = t.reply;
  d.matched = std::move(matched);
  d.from_rewrite = t.from_rewrite;
  return d;
}

}  // namespace

struct Router::Impl {
  std::vector<DomainTable> domains;  // in configuration order; the first is the default
  std::unordered_map<std::string, size_t> by_name;
  std::optional<SrsRouting> srs;
  std::optional<ReplyRouting> reply;
  std::optional<Target> postmaster;  // [server] postmaster, forward

  const DomainTable* find(const std::string& ascii) const {
    const auto it = by_name.find(ascii);
    return it == by_name.end() ? nullptr : &domains[it->second];
  }
};

Router::Router(const std::vector<config::DomainConfig>& domains, std::optional<SrsRouting> srs,
               const std::string& postmaster, std::optional<ReplyRouting> reply) {
  auto impl = std::make_shared<Impl>();
  impl->srs = std::move(srs);
  impl->reply = std::move(reply);
  if (!postmaster.empty()) {
    config::RouteTarget operator_mailbox;
    operator_mailbox.action = config::RouteAction::forward;
    operator_mailbox.forward_to = {postmaster};
    Target t = build_target(operator_mailbox);
    if (t.action == config::RouteAction::forward) impl->postmaster = std::move(t);
  }
  for (const auto& dc : domains) {
    auto ascii = core::domain_to_ascii(dc.name);
    if (!ascii || impl->by_name.count(*ascii)) continue;  // invalid or duplicate: skipped
    DomainTable t;
    t.ascii = *ascii;
    t.subaddressing = dc.subaddressing;
    t.separators = split_characters(dc.subaddress_separator);
    t.policy = DomainPolicy{dc.dmarc_enforce, dc.quarantine};
    for (const auto& rule : dc.rules) {
      auto key = rule_key(rule.address, t.ascii);
      if (!key) continue;
      Target target = build_target(rule.target);
      target.from_rewrite = rule.from_rewrite.value_or(dc.from_rewrite);
      t.rules.emplace(std::move(*key), std::move(target));  // the first rule wins
    }
    if (dc.catch_all) {
      t.catch_all = build_target(*dc.catch_all);
      t.catch_all->from_rewrite = dc.from_rewrite;
    }
    impl->by_name.emplace(t.ascii, impl->domains.size());
    impl->domains.push_back(std::move(t));
  }
  impl_ = std::move(impl);
}

bool Router::serves(const std::string& ascii_domain) const {
  return impl_->find(core::ascii_lower(ascii_domain)) != nullptr;
}

std::optional<DomainPolicy> Router::domain_policy(const std::string& ascii_domain) const {
  const DomainTable* t = impl_->find(core::ascii_lower(ascii_domain));
  if (!t) return std::nullopt;
  return t->policy;
}

// The envelope is not consulted yet; it is part of the signature so that sender-dependent
// routing (SRS bounce reversal) needs no interface change.
RouteDecision Router::route(const core::Envelope& env, const Address& rcpt) const {
  if (impl_->reply) {
    if (auto reply = route_reply_address(*impl_->reply, rcpt)) return std::move(*reply);
  }
  if (impl_->srs) {
    if (auto bounce = route_srs_bounce(*impl_->srs, env, rcpt)) return std::move(*bounce);
  }
  const std::string shown = "<" + rcpt.str() + ">";
  std::string domain = rcpt.domain;
  const bool bare_postmaster = rcpt.domain.empty() && core::ascii_lower(rcpt.local) == "postmaster";
  if (bare_postmaster && impl_->postmaster && impl_->domains.empty()) {
    return decide(*impl_->postmaster, "postmaster (server.postmaster)");
  }
  // RFC 5321 §4.1.1.3: "Postmaster" without a domain is ours: the first configured domain.
  if (bare_postmaster && !impl_->domains.empty()) {
    domain = impl_->domains.front().ascii;
  }
  // The parser gives A-labels; an Address built elsewhere is normalised the same way.
  if (auto ascii = core::domain_to_ascii(domain)) {
    domain = std::move(*ascii);
  } else {
    domain.clear();  // address literals and garbage are never served
  }
  const DomainTable* table = domain.empty() ? nullptr : impl_->find(domain);
  if (table == nullptr) {
    // Not a domain we serve: refuse, never relay (RFC 5321 §3.9, §7.1).
    RouteDecision d;
    d.disposition = Disposition::relay_denied;
    d.reply = SmtpReply::make(550, "5.7.1", shown + ": Relay access denied");
    d.matched = "not served " + (domain.empty() ? std::string("(none)") : domain);
    return d;
  }
  const std::string key = core::ascii_lower(rcpt.local);
  if (const auto it = table->rules.find(key); it != table->rules.end()) {
    return decide(it->second, "rule " + key + "@" + table->ascii);
  }
  // RFC 5233: "info+tag" falls back to "info" when no rule names "info+tag" itself.
  if (table->subaddressing) {
    const size_t cut = find_separator(key, table->separators);
    if (cut != std::string::npos && cut > 0) {
      const std::string base = key.substr(0, cut);
      if (const auto it = table->rules.find(base); it != table->rules.end()) {
        return decide(it->second, "rule " + base + "@" + table->ascii + " (subaddress)");
      }
    }
  }
  // RFC 5321 §4.5.1, RFC 2142 §2: the role mailboxes reach the operator unless a rule above took
  // them, before a catch-all (which may refuse or drop them).
  if (impl_->postmaster && (key == "postmaster" || key == "abuse")) {
    return decide(*impl_->postmaster, key + "@" + table->ascii + " (server.postmaster)");
  }
  if (table->catch_all) return decide(*table->catch_all, "catch-all " + table->ascii);
  RouteDecision d;
  d.disposition = Disposition::unknown_user;
  d.reply = SmtpReply::make(550, "5.1.1", shown + ": Recipient address rejected: User unknown");
  d.matched = "no rule in " + table->ascii;
  return d;
}

}  // namespace hikyaku::routing
