// Identifier Alignment of RFC 9989 §4.4 over Organizational Domains from the DNS Tree Walk
// (§4.10.2), with the shortcuts §4.10.2 lists (identical names, strict mode).
#include "auth/org_domain.hpp"

#include "auth/dmarc_tree_walk_dns.hpp"

namespace hikyaku::auth {

namespace {

const std::optional<std::string>* find(const OrgDomains& orgs, const std::string& d) {
  const auto it = orgs.find(d);
  return it == orgs.end() ? nullptr : &it->second;
}

}  // namespace

Alignment identifier_alignment(std::string_view author, std::string_view identifier, AlignmentMode mode,
                               const OrgDomains& orgs) {
  const std::string a = normalise_domain(author);
  const std::string b = normalise_domain(identifier);
  if (a.empty() || b.empty()) return Alignment::not_aligned;
  if (a == b) return Alignment::aligned;  // identical: strict, and relaxed without a walk
  if (mode == AlignmentMode::strict) return Alignment::not_aligned;
  const auto* org_a = find(orgs, a);
  if (org_a == nullptr || !*org_a) return Alignment::unknown;
  // org(b) is b or an ancestor of b: it can equal org(a) only if org(a) is at or above b.
  if (!is_at_or_below(b, **org_a)) return Alignment::not_aligned;
  const auto* org_b = find(orgs, b);
  if (org_b == nullptr || !*org_b) return Alignment::unknown;
  return **org_a == **org_b ? Alignment::aligned : Alignment::not_aligned;
}

std::string org_domain_needed(std::string_view author, std::string_view identifier, AlignmentMode mode,
                              const OrgDomains& orgs) {
  const std::string a = normalise_domain(author);
  const std::string b = normalise_domain(identifier);
  if (a.empty() || b.empty() || a == b || mode == AlignmentMode::strict) return {};
  const auto* org_a = find(orgs, a);
  if (org_a == nullptr || !*org_a || !is_at_or_below(b, **org_a)) return {};
  return find(orgs, b) == nullptr ? b : std::string();
}

asio::awaitable<std::optional<std::string>> walk_organizational_domain(
    dns::Resolver& resolver, std::string domain, std::chrono::steady_clock::time_point deadline) {
  const TreeWalk walk = co_await tree_walk(resolver, std::move(domain), deadline);
  co_return organizational_domain(walk);
}

}  // namespace hikyaku::auth
