// RFC 9990 report format, Appendix A: the aggregate report document. The XSD's sequences fix the order
// of feedback's children (version, report_metadata, policy_published, record+), of record's
// (row, identifiers, auth_results), of policy_evaluated's (disposition, dkim, spf, reason*) and
// of auth_results' (dkim*, spf); the other groups are xs:all and keep the tables' order.
#include "dmarc_reports/report_xml.hpp"

#include <fmt/format.h>

namespace hikyaku::dmarc_reports {

namespace {

// The length of the well-formed UTF-8 sequence at s[i] encoding an XML 1.0 Char (§2.2), or 0.
size_t char_length(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&s](size_t j) { return j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80; };
  if (b0 < 0x80) return (b0 >= 0x20 || b0 == '\t' || b0 == '\n' || b0 == '\r') && b0 != 0x7f ? 1 : 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0; // surrogates
    if (b0 == 0xEF && b1 == 0xBF && static_cast<unsigned char>(s[i + 2]) >= 0xBE) return 0;  // U+FFFE, U+FFFF
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

class Writer {
 public:
  // The document's declaration and root element with its namespace.
  void root(std::string_view name, std::string_view xmlns) {
    out_ += fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{} xmlns=\"{}\">\n", name, xmlns);
    ++depth_;
  }
  void open(std::string_view name) {
    indent();
    out_ += fmt::format("<{}>\n", name);
    ++depth_;
  }
  void close(std::string_view name) {
    --depth_;
    indent();
    out_ += fmt::format("</{}>\n", name);
  }
  void leaf(std::string_view name, std::string_view text) {
    indent();
    out_ += fmt::format("<{}>{}</{}>\n", name, xml_text(text), name);
  }
  std::string& out() { return out_; }

 private:
  void indent() { out_.append(static_cast<size_t>(depth_) * 2, ' '); }
  std::string out_;
  int depth_ = 0;
};

}  // namespace

std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = char_length(text, i);
    if (n == 0) {
      out += '?';
      ++i;
      continue;
    }
    if (n == 1) {
      switch (text[i]) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += text[i];
      }
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string report_xml(const AggregateReport& report) {
  Writer w;
  w.root("feedback", "urn:ietf:params:xml:ns:dmarc-2.0");  // the DMARC namespace (IANA registration)
  w.leaf("version", "1.0");  // "MUST have the value 1.0"
  const ReportMetadata& m = report.metadata;
  w.open("report_metadata");
  w.leaf("org_name", m.org_name);
  w.leaf("email", m.email);
  w.leaf("report_id", m.report_id);
  w.open("date_range");
  w.leaf("begin", std::to_string(m.begin));
  w.leaf("end", std::to_string(m.end));
  w.close("date_range");
  if (!m.generator.empty()) w.leaf("generator", m.generator);
  w.close("report_metadata");

  const PublishedPolicy& p = report.policy;
  w.open("policy_published");
  w.leaf("domain", report.policy_domain);
  w.leaf("discovery_method", "treewalk");  // RFC 9989 §4.10 (the PSL is not used)
  w.leaf("p", p.p);
  if (!p.sp.empty()) w.leaf("sp", p.sp);
  if (!p.np.empty()) w.leaf("np", p.np);
  w.leaf("fo", p.fo);
  w.leaf("adkim", p.adkim);
  w.leaf("aspf", p.aspf);
  w.leaf("testing", p.testing ? "y" : "n");
  w.close("policy_published");

  for (const ReportRow& row : report.rows) {
    const RowKey& k = row.key;
    w.open("record");
    w.open("row");
    w.leaf("source_ip", k.source_ip);
    w.leaf("count", std::to_string(row.count));
    w.open("policy_evaluated");
    w.leaf("disposition", to_string(k.disposition));
    w.leaf("dkim", k.dkim_aligned ? "pass" : "fail");
    w.leaf("spf", k.spf_aligned ? "pass" : "fail");
    for (const auto& reason : k.reasons) {
      w.open("reason");
      w.leaf("type", to_string(reason.type));
      if (!reason.comment.empty()) w.leaf("comment", reason.comment);
      w.close("reason");
    }
    w.close("policy_evaluated");
    w.close("row");
    w.open("identifiers");
    w.leaf("header_from", k.header_from);
    w.leaf("envelope_from", k.envelope_from);  // "MAY be existing but empty" for the null reverse-path
    if (!k.envelope_to.empty()) w.leaf("envelope_to", k.envelope_to);
    w.close("identifiers");
    w.open("auth_results");
    for (const auto& d : k.dkim) {
      w.open("dkim");
      w.leaf("domain", d.domain);
      w.leaf("selector", d.selector);
      w.leaf("result", d.result);
      w.close("dkim");
    }
    w.open("spf");
    w.leaf("domain", k.spf.domain);
    // "The only valid value for the scope element is mfrom"; a HELO result has none.
    if (k.spf.scope == "mfrom") w.leaf("scope", "mfrom");
    w.leaf("result", k.spf.result);
    w.close("spf");
    w.close("auth_results");
    w.close("record");
  }
  w.close("feedback");
  return std::move(w.out());
}

}  // namespace hikyaku::dmarc_reports
