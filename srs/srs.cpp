// SRS0/SRS1 forward and reverse (Shevek's Sender Rewriting Scheme as libsrs2 1.0.14 and
// PostSRSd 2.x implement it, see shared/conformance/srs/README.md), with RFC 5321 §4.5.3.1
// size limits applied to every address produced. Pure: no I/O, the day is an argument.
#include "srs/srs.hpp"

#include <optional>

#include "core/ascii.hpp"
#include "srs/hash.hpp"

namespace hikyaku::srs {

namespace {

using core::Address;
using core::Expected;
using core::unexpected;

constexpr size_t kMaxLocalPart = 64;  // RFC 5321 §4.5.3.1.1
constexpr char kSep = '=';            // SRSSEP: always '=' between fields

bool has_tag(std::string_view local, std::string_view tag) {
  if (!core::ascii_istarts_with(local, tag) || local.size() <= tag.size()) return false;
  const char sep = local[tag.size()];
  return sep == '=' || sep == '-' || sep == '+';
}
bool is_srs0(std::string_view local) { return has_tag(local, "SRS0"); }
bool is_srs1(std::string_view local) { return has_tag(local, "SRS1"); }

// Splits off the text before the next '=' (the '=' is consumed); nullopt when there is none.
std::optional<std::string_view> take_field(std::string_view& rest) {
  const size_t pos = rest.find(kSep);
  if (pos == std::string_view::npos) return std::nullopt;
  const std::string_view field = rest.substr(0, pos);
  rest.remove_prefix(pos + 1);
  return field;
}

// Builds local@domain and proves it is an address we may send: it must print and parse back
// to itself, within RFC 5321's limits. The domain is normalised (lowercase A-labels) by parsing.
Expected<Address, SrsError> make_address(const std::string& local, std::string_view domain) {
  if (local.size() > kMaxLocalPart) return unexpected(SrsError::too_long);
  Address candidate;
  candidate.local = local;
  candidate.domain = std::string(domain);
  auto parsed = core::parse_mailbox(candidate.str(), /*allow_utf8=*/true);
  if (!parsed) {
    return unexpected(parsed.error() == core::AddressError::too_long ? SrsError::too_long
                                                                     : SrsError::bad_syntax);
  }
  if (parsed->local != local) return unexpected(SrsError::bad_syntax);  // unrepresentable octets
  return std::move(*parsed);
}

bool any_secret_matches(const SrsKeys& keys, std::string_view hash,
                        std::initializer_list<std::string_view> fields) {
  bool ok = false;
  for (const auto& secret : keys.secrets) {
    ok = detail::hash_matches(hash, detail::make_hash(secret, fields, detail::kMaxHashLength),
                              keys.hash_length, keys.accept_legacy_hash) ||
         ok;
  }
  return ok;
}

// SRS1<sep>HHHH=host=user -> SRS0user@host (libsrs2 srs_reverse, SRS1 branch).
Expected<Address, SrsError> reverse_srs1(std::string_view rest, const SrsKeys& keys) {
  const auto hash = take_field(rest);
  if (!hash || hash->empty()) return unexpected(SrsError::bad_syntax);
  const auto host = take_field(rest);
  if (!host || host->empty() || rest.empty()) return unexpected(SrsError::bad_syntax);
  const std::string_view user = rest;
  if (!any_secret_matches(keys, *hash, {*host, user})) return unexpected(SrsError::bad_hash);
  return make_address("SRS0" + std::string(user), *host);
}

// SRS0<sep>HHHH=TT=host=user -> user@host; user may itself contain '='.
Expected<Address, SrsError> reverse_srs0(std::string_view rest, const SrsKeys& keys,
                                         std::chrono::sys_days today, int max_age_days) {
  const auto hash = take_field(rest);
  if (!hash || hash->empty()) return unexpected(SrsError::bad_syntax);
  const auto stamp = take_field(rest);
  if (!stamp || stamp->empty()) return unexpected(SrsError::bad_syntax);
  const auto host = take_field(rest);
  if (!host || host->empty() || rest.empty()) return unexpected(SrsError::bad_syntax);
  const std::string_view user = rest;
  // libsrs2 order: the timestamp first, then the hash.
  const auto then = detail::decode_timestamp(*stamp);
  if (!then) return unexpected(SrsError::bad_syntax);
  if (detail::age_days(*then, today) > max_age_days) return unexpected(SrsError::expired);
  if (!any_secret_matches(keys, *hash, {*stamp, *host, user})) {
    return unexpected(SrsError::bad_hash);
  }
  return make_address(std::string(user), *host);
}

std::string signed_local(std::string_view tag, const std::string& hash,
                         std::initializer_list<std::string_view> fields) {
  std::string out(tag);
  out += kSep;
  out += hash;
  for (const auto f : fields) {
    out += kSep;
    out += f;
  }
  return out;
}

}  // namespace

std::string_view describe(SrsError e) {
  switch (e) {
    case SrsError::not_srs:
      return "not an SRS address";
    case SrsError::bad_syntax:
      return "malformed SRS address";
    case SrsError::bad_hash:
      return "SRS hash invalid";
    case SrsError::expired:
      return "SRS timestamp out of date";
    case SrsError::too_long:
      return "SRS address too long";
    case SrsError::no_key:
      return "no SRS secret configured";
  }
  return "SRS error";
}

bool is_srs(std::string_view local_part) { return is_srs0(local_part) || is_srs1(local_part); }

Expected<Address, SrsError> forward(const Address& sender, const SrsKeys& keys,
                                    std::string_view srs_domain, std::chrono::sys_days today) {
  if (keys.secrets.empty()) return unexpected(SrsError::no_key);
  if (keys.hash_length < detail::kHashLength || keys.hash_length > detail::kMaxHashLength) {
    return unexpected(SrsError::no_key);  // a configuration error, as a missing secret
  }
  if (sender.local.empty() || sender.domain.empty()) return unexpected(SrsError::bad_syntax);
  const auto domain = core::domain_to_ascii(srs_domain);
  if (!domain) return unexpected(SrsError::bad_syntax);
  // Already ours (PostSRSd: "Need not rewrite local domain"): SPF passes for it unchanged,
  // and it is passed on exactly as sent (domain_as_sent kept; Mail::SRS returns the string).
  if (core::ascii_iequals(sender.domain, *domain)) return sender;

  const std::string& secret = keys.secrets.front();
  const std::string_view local = sender.local;
  // The host field keeps the sender's spelling, as Mail::SRS and libsrs2 write it; the hash is
  // over lowercased fields, so it does not depend on it.
  const std::string_view host = sender.domain_as_sent.empty() ? sender.domain : sender.domain_as_sent;
  std::string out;
  if (is_srs1(local)) {
    // SRS1<sep>X=first=rest: keep the first forwarder's host and opaque part, re-sign.
    std::string_view rest = local.substr(5);
    const auto old_hash = take_field(rest);
    const auto first = take_field(rest);
    if (!old_hash || !first || first->empty() || rest.empty()) {
      return unexpected(SrsError::bad_syntax);  // libsrs2: ENOSRS1HOST / ENOSRS1USER
    }
    // libsrs2 would sign any text here; a host that is not a domain could never be reversed,
    // so bounces would be lost: refuse (the caller keeps the original sender).
    if (!core::domain_to_ascii(*first)) return unexpected(SrsError::bad_syntax);
    out = signed_local("SRS1", detail::make_hash(secret, {*first, rest}, keys.hash_length), {*first, rest});
  } else if (is_srs0(local)) {
    // SRS0<sep>rest@host: we are the second hop; "rest" keeps its separator, hence "==".
    const std::string_view rest = local.substr(4);
    out = signed_local("SRS1", detail::make_hash(secret, {host, rest}, keys.hash_length), {host, rest});
  } else {
    const std::string ts = detail::encode_timestamp(today);
    out = signed_local("SRS0", detail::make_hash(secret, {ts, host, local}, keys.hash_length), {ts, host, local});
  }
  return make_address(out, *domain);
}

Expected<Address, SrsError> reverse(const Address& srs_address, const SrsKeys& keys,
                                    std::chrono::sys_days today, int max_age_days) {
  const std::string_view local = srs_address.local;
  if (!is_srs(local)) return unexpected(SrsError::not_srs);
  if (keys.secrets.empty()) return unexpected(SrsError::no_key);
  if (is_srs1(local)) return reverse_srs1(local.substr(5), keys);
  return reverse_srs0(local.substr(5), keys, today, max_age_days);
}

}  // namespace hikyaku::srs
