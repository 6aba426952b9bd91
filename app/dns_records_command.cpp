// dns-records: MX to our inbound hosts (RFC 5321 §5.1), the served domain's SPF with our
// include (RFC 7208 §5.2), a starting DMARC record (RFC 7489 §6.3, p=none while reports are
// read), and the forwarding domain's SPF from the egress prefixes, DKIM/ARC key records
// (RFC 6376 §3.6.1, RFC 8463 §4, RFC 8617 §4.1.3), the HELO name's addresses and the PTR each
// egress address needs (RFC 1035 §3.5, RFC 3596 §2.5). postmaster: the allowlisting facts.
#include "app/dns_records_command.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "app/our_side.hpp"
#include "config/loader.hpp"
#include "core/address.hpp"
#include "dns/names.hpp"
#include "doctor/checks.hpp"

namespace hikyaku::app {

namespace {

constexpr std::string_view kDnsOnly = "DNS-only, do not proxy";

std::string spf_from_prefixes(const std::vector<std::string>& prefixes) {
  std::string out = "v=spf1";
  for (const auto& p : prefixes) out += (p.find(':') != std::string::npos ? " ip6:" : " ip4:") + p;
  return out + " -all";
}

std::string key_type(const std::string& record) {
  return record.find("k=ed25519") != std::string::npos ? "ed25519" : "rsa";
}

}  // namespace

std::string dns_records_text(const config::Config& config, const doctor::OurSide& ours, const std::string& domain) {
  std::string out = fmt::format(
      "; DNS records for {} to be served by Hikyaku ({}).\n"
      "; Owner names are fully qualified: paste them into the zone or a DNS dashboard as they are.\n"
      "; Records marked \"{}\" must stay DNS-only (no CDN proxy): mail does not pass a proxy.\n",
      domain, config.server.hostname, kDnsOnly);
  for (const auto& m : ours.inbound_mx) {
    out += fmt::format("{}. 3600 IN MX {} {}.  ; inbound mail goes to our host {} ({} for the MX host's A/AAAA)\n",
                       domain, m.preference, m.host, m.host, kDnsOnly);
  }
  out += fmt::format("{}. 3600 IN TXT \"v=spf1 include:{} ~all\"  ; SPF: hosts that may send as {} (add your own "
                     "senders' terms before ~all; keep ONE SPF record)\n",
                     domain, ours.spf_include, domain);
  const std::string rua = config.doctor.dmarc_rua.empty() ? "" : "; rua=mailto:" + config.doctor.dmarc_rua;
  out += fmt::format("_dmarc.{}. 3600 IN TXT \"v=DMARC1; p=none{}\"  ; DMARC to start with: move to p=quarantine, then "
                     "p=reject once reports show your mail passing\n",
                     domain, rua);

  for (const auto& [label, target] : ours.cnames) {
    out += fmt::format("{}.{}. 3600 IN CNAME {}.  ; must stay a CNAME: do not flatten it (\"CNAME flattening\"), "
                       "{}\n",
                       label, domain, target, kDnsOnly);
  }
  out += "\n; The forwarding side, published once for every served domain (by the operator of this Hikyaku).\n";
  if (const size_t at = config.doctor.dmarc_rua.rfind('@'); at != std::string::npos) {
    const std::string dest = core::ascii_lower(config.doctor.dmarc_rua.substr(at + 1));
    if (!dns::is_at_or_below(domain, dest)) {
      out += fmt::format("{}._report._dmarc.{}. 3600 IN TXT \"v=DMARC1\"  ; {} accepts DMARC reports for {} "
                         "(RFC 7489 §7.1)\n",
                         domain, dest, dest, domain);
    }
  }
  std::vector<std::string> spf_names = {ours.spf_include};
  if (!ours.srs_domain.empty() && ours.srs_domain != ours.spf_include) spf_names.push_back(ours.srs_domain);
  for (const auto& name : spf_names) {
    if (ours.egress_prefixes.empty()) {
      out += fmt::format("; {}: no egress prefixes configured ([doctor] egress_prefixes or [relay] source_ipv4/ipv6), "
                         "so its SPF record cannot be built\n",
                         name);
      continue;
    }
    out += fmt::format("{}. 3600 IN TXT {}  ; SPF of {}: our egress networks{}\n", name,
                       doctor::quote_txt(spf_from_prefixes(ours.egress_prefixes)), name,
                       name == ours.srs_domain ? " (the SRS envelope senders' domain)" : " (served domains include it)");
  }
  if (!ours.srs_domain.empty()) {
    for (const auto& m : ours.inbound_mx) {
      out += fmt::format("{}. 3600 IN MX {} {}.  ; bounces to SRS addresses come back to us\n", ours.srs_domain,
                         m.preference, m.host);
    }
  }
  for (const auto& key : ours.keys) {
    out += fmt::format("{}._domainkey.{}. 3600 IN TXT {}  ; {} key (k={}) from {}\n", key.selector, key.domain,
                       doctor::quote_txt(key.record), key.arc ? "ARC" : "DKIM", key_type(key.record),
                       key.arc ? "[arc] private_key" : "[[dkim.key]] private_key");
  }
  for (const auto& ip : ours.egress) {
    const bool v6 = ip.find(':') != std::string::npos;
    out += fmt::format("{}. 3600 IN {} {}  ; the HELO name resolves to the egress address; {}\n", ours.helo_name,
                       v6 ? "AAAA" : "A", ip, kDnsOnly);
  }
  for (const auto& ip : ours.egress) {
    out += fmt::format("{}. 3600 IN PTR {}.  ; reverse DNS of egress address {}: set by whoever holds the address "
                       "block; must name the HELO name\n",
                       *dns::reverse_name(std::string_view(ip)), ours.helo_name, ip);
  }
  return out;
}

std::string postmaster_text(const config::Config& config, const doctor::OurSide& ours) {
  std::string out = fmt::format("# What to allowlist for mail forwarded by Hikyaku ({})\n", config.server.hostname);
  out += "egress prefixes:";
  for (const auto& p : ours.egress_prefixes) out += " " + p;
  if (ours.egress_prefixes.empty()) out += " (not configured: the system chooses the source address)";
  out += "\nHELO names: " + ours.helo_name + "\n";
  for (const auto& key : ours.keys) {
    out += fmt::format("{} selector: {}._domainkey.{} (d={}, s={}, k={})\n", key.arc ? "ARC" : "DKIM", key.selector,
                       key.domain, key.domain, key.selector, key_type(key.record));
  }
  out += "SRS domain: " +
         (ours.srs_domain.empty() ? std::string("(SRS off: envelope senders are not rewritten)")
                                  : ours.srs_domain + " (envelope senders SRS0=...@" + ours.srs_domain + ")") +
         "\n";
  return out;
}

namespace {

core::Expected<std::pair<config::Config, doctor::OurSide>, int> load(const std::string& path) {
  auto loaded = config::load_file(path);
  if (!loaded) {
    for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.text());
    return core::unexpected(2);
  }
  auto ours = our_side(*loaded);
  if (!ours) {
    fmt::print(stderr, "{}\n", ours.error());
    return core::unexpected(2);
  }
  return std::make_pair(std::move(*loaded), std::move(*ours));
}

}  // namespace

int dns_records_command(const std::string& config_path, const std::string& domain) {
  auto ascii = core::domain_to_ascii(domain);
  auto name = ascii ? dns::normalise_name(*ascii) : std::nullopt;
  if (!name || name->find('.') == std::string::npos) {
    fmt::print(stderr, "dns-records: \"{}\" is not a domain name\n", domain);
    return 2;
  }
  auto loaded = load(config_path);
  if (!loaded) return loaded.error();
  fmt::print("{}", dns_records_text(loaded->first, loaded->second, *name));
  return 0;
}

int postmaster_command(const std::string& config_path) {
  auto loaded = load(config_path);
  if (!loaded) return loaded.error();
  fmt::print("{}", postmaster_text(loaded->first, loaded->second));
  return 0;
}

}  // namespace hikyaku::app
