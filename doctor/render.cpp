// Text and JSON rendering of a diagnosis (RFC 8259 §7 strings; every byte outside printable
// ASCII written as \u00XX so any DNS data stays valid JSON).
#include "doctor/render.hpp"

#include <fmt/format.h>

namespace hikyaku::doctor {

namespace {

// Control characters and DEL shown escaped in the text form (DNS data is untrusted).
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) out += fmt::format("\\{:03d}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

std::string answers_json(const dns::DnsAnswer& a) {
  std::string out = "[";
  bool first = true;
  const auto item = [&](const std::string& s) {
    out += (first ? "" : ",") + json_string(s);
    first = false;
  };
  for (const auto& m : a.mx) item(std::to_string(m.preference) + " " + m.exchange);
  for (const auto& ip : a.addresses) item(ip.to_string());
  for (const auto& t : a.texts) item(t);
  for (const auto& n : a.names) item(n);
  return out + "]";
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7F) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string render_text(const Diagnosis& d, bool show_ok) {
  std::string out;
  for (const auto& f : d.findings) {
    if (f.severity == Severity::ok && !show_ok) continue;
    out += fmt::format("{:<7} {:<24} {}: {}", to_string(f.severity), f.check, printable(f.subject), printable(f.problem));
    if (!f.fix.empty()) out += " | fix: " + printable(f.fix);
    out += "\n";
  }
  return out;
}

std::string render_json(const std::string& domain, const Diagnosis& d, int exit_code) {
  std::string out = "{\"domain\":" + json_string(domain) + ",\"exit\":" + std::to_string(exit_code) +
                    ",\"rounds\":" + std::to_string(d.rounds) + ",\"findings\":[";
  for (size_t i = 0; i < d.findings.size(); ++i) {
    const Finding& f = d.findings[i];
    out += (i ? "," : "");
    out += "{\"severity\":" + json_string(to_string(f.severity)) + ",\"check\":" + json_string(f.check) +
           ",\"subject\":" + json_string(f.subject) + ",\"problem\":" + json_string(f.problem) +
           ",\"fix\":" + json_string(f.fix) + ",\"queries\":[";
    bool first = true;
    for (const auto& key : f.queries) {
      const Observation* o = d.answers.find(key);
      if (o == nullptr) continue;
      out += (first ? "" : ",");
      first = false;
      out += "{\"server\":" + json_string(o->server) + ",\"name\":" + json_string(key.name) +
             ",\"type\":" + json_string(dns::to_string(key.type)) + ",\"rcode\":" + json_string(rcode_name(o->rcode)) +
             ",\"status\":" + json_string(dns::to_string(o->answer.status)) + ",\"ttl\":" + std::to_string(o->answer.ttl) +
             ",\"answers\":" + answers_json(o->answer);
      if (!o->answer.cname_chain.empty()) {
        out += ",\"cname_chain\":[";
        for (size_t c = 0; c < o->answer.cname_chain.size(); ++c) out += (c ? "," : "") + json_string(o->answer.cname_chain[c]);
        out += "]";
      }
      if (o->soa_serial) out += ",\"soa_serial\":" + std::to_string(*o->soa_serial);
      if (!o->answer.detail.empty()) out += ",\"detail\":" + json_string(o->answer.detail);
      out += "}";
    }
    out += "]}";
  }
  return out + "]}\n";
}

}  // namespace hikyaku::doctor
