// Answers from in-memory zone data: RFC 1034 §4.3.2 (lookup, CNAME restart), RFC 2181 §5
// (RRsets), §10.1 (CNAME and other data), RFC 2308 §2.2/§5 (NODATA, negative TTL), RFC 8020
// (empty non-terminals are NODATA, not NXDOMAIN).
#include "dns/zone.hpp"

#include <algorithm>
#include <set>

#include "dns/names.hpp"

namespace hikyaku::dns {

namespace {

constexpr size_t kMaxChain = 16;

bool same_data(const ZoneRecord& a, const ZoneRecord& b) {
  return a.owner == b.owner && a.type == b.type && a.data == b.data;
}

// DNSSEC records may sit beside a CNAME (RFC 4035 §2.5); everything else may not.
bool may_share_with_cname(const ZoneRecord& r) {
  const auto* other = std::get_if<OtherRecord>(&r.data);
  return other && (other->type == "RRSIG" || other->type == "NSEC" || other->type == "NSEC3");
}

void add_data(DnsAnswer& out, const ZoneRecord& r) {
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, asio::ip::address>) {
          out.addresses.push_back(d);
        } else if constexpr (std::is_same_v<T, MxRecord>) {
          out.mx.push_back(d);
        } else if constexpr (std::is_same_v<T, TxtRecord>) {
          out.texts.push_back(d.joined());
        } else if constexpr (std::is_same_v<T, NameRecord>) {
          out.names.push_back(d.name);
        } else if constexpr (std::is_same_v<T, TlsaRecord>) {
          out.tlsa.push_back(d);
        }
        // SoaRecord: status and TTL only. OtherRecord: never matched by a query type.
      },
      r.data);
}

}  // namespace

core::Expected<Zone, std::vector<ZoneError>> Zone::build(std::vector<ZoneRecord> records) {
  Zone zone;
  std::vector<ZoneError> errors;
  for (auto& rec : records) {
    auto& node = zone.nodes_[rec.owner];
    bool duplicate = false;
    for (size_t idx : node) {
      const ZoneRecord& other = zone.records_[idx];
      if (same_data(other, rec) && !rec.is_other()) {
        duplicate = true;
        break;
      }
      const bool rec_cname = !rec.is_other() && rec.type == RecordType::cname;
      const bool other_cname = !other.is_other() && other.type == RecordType::cname;
      if (rec_cname && other_cname) {
        errors.push_back({rec.file, rec.line,
                          "more than one CNAME at " + rec.owner + " (first at line " +
                              std::to_string(other.line) + ")"});
        duplicate = true;
        break;
      }
      if ((rec_cname && !may_share_with_cname(other)) || (other_cname && !may_share_with_cname(rec))) {
        errors.push_back({rec.file, rec.line,
                          "CNAME and other data at " + rec.owner + " (RFC 2181 §10.1; see line " +
                              std::to_string(other.line) + ")"});
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    node.push_back(zone.records_.size());
    if (!rec.is_other() && rec.type == RecordType::soa) zone.soas_.push_back(zone.records_.size());
    zone.records_.push_back(std::move(rec));
  }
  if (!errors.empty()) return core::unexpected(std::move(errors));

  // Empty non-terminals: every ancestor of an owner, below its closest SOA apex (or, outside
  // every apex, below the root), that owns nothing itself.
  for (const auto& [owner, indexes] : zone.nodes_) {
    const ZoneRecord* soa = zone.find_soa(owner);
    const size_t apex_labels = soa ? split_name(soa->owner).size() : 1;
    Labels labels = split_name(owner);
    while (labels.size() > apex_labels) {
      labels.erase(labels.begin());
      const std::string ancestor = labels_to_name(labels);
      if (!zone.nodes_.contains(ancestor)) zone.empty_non_terminals_.insert(ancestor);
    }
  }
  return zone;
}

const ZoneRecord* Zone::find_soa(const std::string& name) const {
  const ZoneRecord* best = nullptr;
  size_t best_labels = 0;
  for (size_t idx : soas_) {
    const ZoneRecord& soa = records_[idx];
    if (!is_at_or_below(name, soa.owner)) continue;
    const size_t n = split_name(soa.owner).size();
    if (!best || n > best_labels) {
      best = &soa;
      best_labels = n;
    }
  }
  return best;
}

DnsAnswer Zone::lookup(std::string_view name, RecordType type) const {
  const auto normalised = normalise_name(name);
  if (!normalised) {
    return DnsAnswer::failure(std::string(name), type, DnsStatus::nxdomain, "not a valid domain name");
  }
  DnsAnswer out = DnsAnswer::failure(*normalised, type, DnsStatus::nodata);
  uint32_t ttl = UINT32_MAX;
  std::string current = *normalised;
  std::set<std::string> visited{current};
  std::vector<const ZoneRecord*> rrset;
  for (size_t hop = 0;; ++hop) {
    const auto node = nodes_.find(current);
    if (node == nodes_.end()) {
      out.status = empty_non_terminals_.contains(current) ? DnsStatus::nodata : DnsStatus::nxdomain;
      break;
    }
    const ZoneRecord* cname = nullptr;
    for (size_t idx : node->second) {
      const ZoneRecord& r = records_[idx];
      if (r.is_other()) continue;
      if (r.type == type) rrset.push_back(&r);
      if (r.type == RecordType::cname) cname = &r;
    }
    if (!rrset.empty() || !cname || type == RecordType::cname) break;
    ttl = std::min(ttl, cname->ttl);
    current = std::get<NameRecord>(cname->data).name;
    out.cname_chain.push_back(current);
    if (!visited.insert(current).second) {
      return DnsAnswer::failure(*normalised, type, DnsStatus::servfail, "CNAME loop at " + current);
    }
    if (hop + 1 >= kMaxChain) {
      return DnsAnswer::failure(*normalised, type, DnsStatus::servfail, "CNAME chain too long");
    }
  }
  out.canonical_name = current;
  if (!rrset.empty()) {
    out.status = DnsStatus::ok;
    for (const ZoneRecord* r : rrset) {
      add_data(out, *r);
      ttl = std::min(ttl, r->ttl);
    }
    out.ttl = ttl;
    return out;
  }
  out.ttl = 0;
  if (const ZoneRecord* soa = find_soa(current)) {
    out.ttl = std::min(soa->ttl, std::get<SoaRecord>(soa->data).minimum);
  }
  return out;
}

}  // namespace hikyaku::dns
