// Mail hosts behind a reverse proxy/CDN: a proxy carries HTTP(S) only, so an MX host (RFC 5321
// §5.1) or a mail client's host (IMAP RFC 9051, submission RFC 6409) that resolves into a proxy
// range is unreachable for mail. A proxied name used as an MX target makes some DNS providers
// publish an auto-created "dc-<hex>" host (or "_dc-mx.") in the MX instead.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "dns/names.hpp"
#include "doctor/checks.hpp"

namespace hikyaku::doctor {

namespace {

constexpr std::string_view kCaution =
    " (a DNS-only record shows the server's real address, which the proxy was hiding; keep that "
    "host's other ports firewalled)";

// "dc-" followed by hex digits as the first label, or a "_dc-mx." label anywhere.
bool is_dc_record(std::string_view host) {
  if (host.find("_dc-mx.") != std::string_view::npos || host.starts_with("_dc-mx")) return true;
  if (!host.starts_with("dc-")) return false;
  const size_t dot = host.find('.');
  const std::string_view hex = host.substr(3, dot == std::string_view::npos ? std::string_view::npos : dot - 3);
  return !hex.empty() && std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

struct NamedHost {
  std::string_view label;
  Severity severity;
  std::string_view use;
};

constexpr NamedHost kClientHosts[] = {
    {"mail", Severity::error, "mail clients and often the MX"},
    {"smtp", Severity::error, "SMTP submission (ports 587/465)"},
    {"imap", Severity::error, "IMAP (ports 143/993)"},
    {"pop", Severity::error, "POP3 (ports 110/995)"},
    {"webmail", Severity::info, "webmail over HTTPS, which a proxy can carry"},
    {"autodiscover", Severity::info, "Outlook autodiscover over HTTPS, which a proxy can carry"},
    {"autoconfig", Severity::info, "Thunderbird autoconfig over HTTPS, which a proxy can carry"},
};

}  // namespace

void check_proxied_hosts(const DoctorOptions& o, Lookup& lookup, Report& report) {
  const dns::DnsAnswer* mx = lookup.get(o.domain, dns::RecordType::mx);
  std::vector<std::optional<HostAddresses>> clients;
  for (const auto& h : kClientHosts) clients.push_back(host_addresses(lookup, std::string(h.label) + "." + o.domain));
  if (mx == nullptr) return;
  bool pending = std::any_of(clients.begin(), clients.end(), [](const auto& c) { return !c; });
  std::vector<std::pair<dns::MxRecord, std::optional<HostAddresses>>> targets;
  if (mx->ok()) {
    for (const auto& r : mx->mx) {
      if (r.exchange == ".") continue;
      auto h = host_addresses(lookup, r.exchange);
      pending = pending || !h;
      targets.emplace_back(r, std::move(h));
    }
  }
  if (pending) return;
  const std::string mail_host = "mail." + o.domain;
  for (const auto& [r, h] : targets) {
    if (is_dc_record(r.exchange)) {
      report.add(Severity::error, "proxy.dc_record", r.exchange,
                 "the MX names an auto-created \"dc-\" host: the MX once pointed at a proxied (CDN) name, and the "
                 "DNS provider substituted this record, which mail senders cannot rely on",
                 fmt::format("{}. 300 IN A <mail server address>  ; DNS-only, do not proxy; then {}. 3600 IN MX {} {}.{}",
                             mail_host, o.domain, r.preference, mail_host, kCaution));
    }
    if (o.ranges->is_mail_host(r.exchange)) continue;
    for (const auto& a : h->addresses) {
      if (auto range = o.ranges->proxied(a)) {
        report.add(Severity::error, "proxy.mx", r.exchange,
                   fmt::format("the MX host resolves to {} in the reverse-proxy range {}: a proxy does not carry "
                               "port 25, so mail cannot be delivered", a.to_string(), range->text()),
                   fmt::format("{}. 300 IN {} <mail server address>  ; DNS-only, do not proxy{}", r.exchange,
                               a.is_v4() ? "A" : "AAAA", kCaution));
        break;
      }
    }
  }
  for (size_t i = 0; i < std::size(kClientHosts); ++i) {
    const auto& spec = kClientHosts[i];
    const std::string name = std::string(spec.label) + "." + o.domain;
    for (const auto& a : clients[i]->addresses) {
      if (auto range = o.ranges->proxied(a)) {
        report.add(spec.severity, "proxy.host", name,
                   fmt::format("{} ({}) resolves to {} in the reverse-proxy range {}{}", name, spec.use, a.to_string(),
                               range->text(),
                               spec.severity == Severity::error ? ": mail clients cannot connect through the proxy" : ""),
                   spec.severity == Severity::error
                       ? fmt::format("{}. 300 IN {} <mail server address>  ; DNS-only, do not proxy{}", name,
                                     a.is_v4() ? "A" : "AAAA", kCaution)
                       : std::string("fine for HTTPS; the mail hosts it hands out must be DNS-only"));
        break;
      }
    }
  }
}

}  // namespace hikyaku::doctor
