// MTA-STS (RFC 8461 §3.1: "_mta-sts" TXT "v=STSv1; id=...") and SMTP TLS reporting (RFC 8460
// §3: "_smtp._tls" TXT "v=TLSRPTv1; rua=..."): both optional; a malformed record is reported.
#include <algorithm>

#include <fmt/format.h>

#include "core/ascii.hpp"
#include "doctor/checks.hpp"

namespace hikyaku::doctor {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "k=v; k=v" fields (both RFCs: field delimiter ";" with optional WSP); nullopt when a field
// has no "=". Empty trailing field allowed.
std::optional<std::vector<std::pair<std::string, std::string>>> fields(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    const size_t semi = text.find(';');
    const std::string_view f = trim(text.substr(0, semi));
    if (!f.empty()) {
      const size_t eq = f.find('=');
      if (eq == std::string_view::npos || eq == 0) return std::nullopt;
      out.emplace_back(std::string(trim(f.substr(0, eq))), std::string(trim(f.substr(eq + 1))));
    } else if (semi != std::string_view::npos && out.empty()) {
      return std::nullopt;
    }
    if (semi == std::string_view::npos) return out;
    text.remove_prefix(semi + 1);
  }
}

// RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT).
bool valid_sts_id(std::string_view id) {
  return !id.empty() && id.size() <= 32 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

}  // namespace

void check_mta_sts(const DoctorOptions& o, Lookup& lookup, Report& report) {
  const std::string sts_name = "_mta-sts." + o.domain;
  const std::string rpt_name = "_smtp._tls." + o.domain;
  const dns::DnsAnswer* sts = lookup.get(sts_name, dns::RecordType::txt);
  const dns::DnsAnswer* rpt = lookup.get(rpt_name, dns::RecordType::txt);
  if (sts == nullptr || rpt == nullptr) return;
  if (sts->temporary_failure()) {
    report.add(Severity::unknown, "mta_sts.unknown", sts_name, "the lookup failed");
  } else {
    std::vector<std::string> records;
    for (const auto& t : sts->texts) {
      if (t.starts_with("v=STSv1")) records.push_back(t);
    }
    if (records.size() > 1) {
      report.add(Severity::error, "mta_sts.syntax", sts_name,
                 "more than one \"v=STSv1\" record: senders treat MTA-STS as not implemented (RFC 8461 §3.1)",
                 "keep one");
    } else if (records.size() == 1) {
      auto f = fields(records.front());
      std::string id;
      if (f && !f->empty()) {
        for (const auto& [k, v] : *f) {
          if (k == "id") id = v;
        }
      }
      if (!f || f->empty() || f->front() != std::pair<std::string, std::string>{"v", "STSv1"} || !valid_sts_id(id)) {
        report.add(Severity::error, "mta_sts.syntax", sts_name,
                   "invalid record: RFC 8461 §3.1 wants \"v=STSv1; id=<1-32 letters or digits>\"",
                   fmt::format("{}. 3600 IN TXT \"v=STSv1; id=20260101T000000\"", sts_name));
      } else {
        // The policy host must resolve, or senders cannot fetch the policy (RFC 8461 §3.3).
        const std::string policy_host = "mta-sts." + o.domain;
        auto h = host_addresses(lookup, policy_host);
        if (!h) return;
        if (!h->temporary() && h->addresses.empty()) {
          report.add(Severity::error, "mta_sts.policy", policy_host,
                     "MTA-STS is announced but the policy host has no address: senders cannot fetch the policy",
                     fmt::format("{}. 3600 IN A <web server address>", policy_host));
        }
        report.add(Severity::ok, "mta_sts.ok", sts_name, fmt::format("MTA-STS announced (id={})", id));
      }
    }
  }
  if (rpt->temporary_failure()) {
    report.add(Severity::unknown, "tls_rpt.unknown", rpt_name, "the lookup failed");
    return;
  }
  std::vector<std::string> records;
  for (const auto& t : rpt->texts) {
    if (t.starts_with("v=TLSRPTv1")) records.push_back(t);
  }
  if (records.size() > 1) {
    report.add(Severity::error, "tls_rpt.syntax", rpt_name, "more than one \"v=TLSRPTv1\" record (RFC 8460 §3)", "keep one");
    return;
  }
  if (records.empty()) return;
  auto f = fields(records.front());
  bool ok = f && !f->empty() && f->front() == std::pair<std::string, std::string>{"v", "TLSRPTv1"};
  std::optional<std::string> rua;
  if (ok) {
    for (const auto& [k, v] : *f) {
      if (k == "rua") rua = v;
    }
  }
  ok = ok && rua.has_value();
  if (ok) {
    std::string_view uris = *rua;
    while (ok && !uris.empty()) {
      const size_t comma = uris.find(',');
      const std::string_view uri = trim(uris.substr(0, comma));
      ok = (uri.starts_with("mailto:") && uri.find('@') != std::string_view::npos) || uri.starts_with("https://");
      uris.remove_prefix(comma == std::string_view::npos ? uris.size() : comma + 1);
    }
  }
  if (!ok) {
    report.add(Severity::error, "tls_rpt.syntax", rpt_name,
               "invalid record: RFC 8460 §3 wants \"v=TLSRPTv1; rua=mailto:...\" (or https:)",
               fmt::format("{}. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@{}\"", rpt_name, o.domain));
  } else {
    report.add(Severity::ok, "tls_rpt.ok", rpt_name, "TLS reporting announced");
  }
}

}  // namespace hikyaku::doctor
