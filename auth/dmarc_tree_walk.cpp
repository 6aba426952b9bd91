// The DNS Tree Walk's pure parts, RFC 9989 §4.10 steps 1-4 and 7 (targets, the eight-query
// bound), step 2/6 (one DMARC record per name) and §4.10.2 (choosing the Organizational Domain
// from the records found). The queries themselves: dmarc_tree_walk_dns.cpp.
#include "auth/dmarc_tree_walk.hpp"

#include "core/ascii.hpp"

namespace hikyaku::auth {

namespace {

std::vector<std::string_view> labels_of(std::string_view name) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t dot = name.find('.');
    out.push_back(name.substr(0, dot));
    if (dot == std::string_view::npos) return out;
    name.remove_prefix(dot + 1);
  }
}

// The last `n` labels of `name`.
std::string last_labels(std::string_view name, size_t n) {
  const auto labels = labels_of(name);
  if (n >= labels.size()) return std::string(name);
  std::string out;
  for (size_t i = labels.size() - n; i < labels.size(); ++i) {
    if (!out.empty()) out += '.';
    out += labels[i];
  }
  return out;
}

}  // namespace

std::string normalise_domain(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return {};
  std::string out;
  out.reserve(name.size());
  size_t label = 0;
  for (const char c : name) {
    if (c == '\0') return {};
    if (c == '.') {
      if (label == 0) return {};
      label = 0;
    } else if (++label > 63) {
      return {};
    }
    out.push_back(core::ascii_lower(c));
  }
  if (label == 0) return {};
  return out;
}

bool is_at_or_below(std::string_view name, std::string_view ancestor) {
  if (ancestor.empty() || name.size() < ancestor.size()) return false;
  if (name == ancestor) return true;
  return name.size() > ancestor.size() && name.substr(name.size() - ancestor.size()) == ancestor &&
         name[name.size() - ancestor.size() - 1] == '.';
}

std::vector<std::string> tree_walk_targets(std::string_view domain) {
  std::vector<std::string> out;
  if (domain.empty()) return out;
  out.emplace_back(domain);  // step 1: the starting point
  const size_t x = labels_of(domain).size();
  // Step 4: x < 8 drops the leftmost label; x >= 8 keeps the last seven.
  size_t n = x < kTreeWalkMaxQueries ? x - 1 : kTreeWalkShortenTo;
  // Step 7: one label less each time, until no label remains.
  for (; n >= 1; --n) out.push_back(last_labels(domain, n));
  return out;
}

const TreeWalkRecord* TreeWalk::at(std::string_view domain) const {
  for (const auto& r : records) {
    if (r.domain == domain) return &r;
  }
  return nullptr;
}

std::optional<TreeWalkRecord> single_dmarc_record(const std::vector<std::string>& texts, const std::string& domain,
                                                  std::vector<std::string>& notes) {
  const std::string* found = nullptr;
  size_t count = 0;
  for (const auto& t : texts) {
    if (!is_dmarc_record(t)) continue;  // step 2: records not starting with v=DMARC1 are discarded
    ++count;
    found = &t;
  }
  if (count > 1) {  // step 2: several DMARC records for one target are all discarded
    notes.push_back(std::to_string(count) + " DMARC records at _dmarc." + domain + ": all discarded (RFC 9989 §4.10)");
    return std::nullopt;
  }
  if (found == nullptr) return std::nullopt;
  auto parsed = parse_dmarc_record(*found);
  if (!parsed) return std::nullopt;  // is_dmarc_record() held, so this does not happen
  return TreeWalkRecord{domain, *found, std::move(*parsed)};
}

std::optional<std::string> organizational_domain(const TreeWalk& walk) {
  if (!walk.complete) return std::nullopt;
  if (walk.start.empty()) return std::string();
  for (const auto& r : walk.records) {
    // Rule 1: psd=n is the Organizational Domain.
    if (r.record.psd == PsdFlag::no) return r.domain;
    // Rule 2: psd=y anywhere but the start: one label below it, towards the start.
    if (r.record.psd == PsdFlag::yes && r.domain != walk.start) {
      const size_t n = labels_of(r.domain).size() + 1;
      return last_labels(walk.start, n);
    }
  }
  // Rule 3: the record at the fewest labels; without any record, the start itself.
  if (!walk.records.empty()) return walk.records.back().domain;
  return walk.start;
}

}  // namespace hikyaku::auth
