// Control protocol rendering and parsing: tokens split on single spaces, escaped fields.
#include "queue/control_protocol.hpp"

#include <charconv>

#include "queue/spool_file.hpp"

namespace hikyaku::queue {

namespace {

std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto sp = line.find(' ', start);
    out.push_back(line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) return out;
    start = sp + 1;
  }
}

template <class T>
bool number(std::string_view s, T& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0') || s.size() > 20) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !(s[0] == '-');
}

bool field(std::string_view token, std::string& out) {
  if (token.empty() || token[0] != '=') return false;
  auto raw = unescape_value(token.substr(1));
  if (!raw) return false;
  out = std::move(*raw);
  return true;
}

std::string escaped(std::string_view s) { return "=" + escape_value(s); }

}  // namespace

bool valid_queue_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id == "." || id == ".." || id.rfind("tmp.", 0) == 0) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string render_request(const ControlRequest& request) {
  switch (request.verb) {
    case ControlVerb::list: return "LIST\n";
    case ControlVerb::flush: return "FLUSH\n";
    case ControlVerb::remove: return "DELETE " + request.queue_id + "\n";
    case ControlVerb::drain: return "DRAIN\n";
    case ControlVerb::reports: return "REPORTS\n";
  }
  return "LIST\n";
}

core::Expected<ControlRequest, std::string> parse_request(std::string_view line) {
  if (line.size() > kMaxRequestLine) return core::unexpected(std::string("request line too long"));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto t = tokens(line);
  ControlRequest r;
  if (t.size() == 1 && t[0] == "LIST") return r;
  if (t.size() == 1 && t[0] == "FLUSH") {
    r.verb = ControlVerb::flush;
    return r;
  }
  if (t.size() == 1 && t[0] == "DRAIN") {
    r.verb = ControlVerb::drain;
    return r;
  }
  if (t.size() == 1 && t[0] == "REPORTS") {
    r.verb = ControlVerb::reports;
    return r;
  }
  if (t[0] == "DELETE") {
    if (t.size() != 2 || !valid_queue_id(t[1])) {
      return core::unexpected(std::string("DELETE needs one queue id of [A-Za-z0-9._-]"));
    }
    r.verb = ControlVerb::remove;
    r.queue_id = std::string(t[1]);
    return r;
  }
  return core::unexpected(std::string("unknown request (expected LIST, FLUSH, DRAIN, REPORTS or DELETE <id>)"));
}

std::string render_response(const ControlResponse& response) {
  if (!response.ok) return "ERR " + escape_value(response.error) + "\n";
  std::string out = "OK " + std::to_string(response.count) + "\n";
  for (const auto& e : response.entries) {
    out += "ENTRY " + e.queue_id + " " + std::to_string(e.arrival) + " " + std::to_string(e.attempts) +
           " " + std::to_string(e.next_try) + " " + (e.active ? "1" : "0") + " " + escaped(e.sender) +
           " " + std::to_string(e.recipients.size());
    for (const auto& r : e.recipients) out += " " + escaped(r);
    out += " " + escaped(e.last_error) + "\n";
  }
  for (const auto& c : response.corrupt) out += "CORRUPT " + escaped(c.name) + " " + escaped(c.reason) + "\n";
  return out;
}

core::Expected<ControlResponse, std::string> parse_response(std::string_view bytes) {
  if (bytes.size() > kMaxResponse) return core::unexpected(std::string("response too long"));
  std::vector<std::string_view> lines;
  while (!bytes.empty()) {
    const auto lf = bytes.find('\n');
    if (lf == std::string_view::npos) return core::unexpected(std::string("unterminated line"));
    lines.push_back(bytes.substr(0, lf));
    bytes.remove_prefix(lf + 1);
  }
  if (lines.empty()) return core::unexpected(std::string("empty response"));
  ControlResponse r;
  if (lines[0].rfind("ERR ", 0) == 0) {
    auto text = unescape_value(lines[0].substr(4));
    if (!text || lines.size() != 1) return core::unexpected(std::string("bad ERR line"));
    r.ok = false;
    r.error = std::move(*text);
    return r;
  }
  if (lines[0].rfind("OK ", 0) != 0 || !number(lines[0].substr(3), r.count)) {
    return core::unexpected(std::string("bad status line"));
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto t = tokens(lines[i]);
    if (!t.empty() && t[0] == "CORRUPT") {
      CorruptFile c;
      if (t.size() != 3 || !field(t[1], c.name) || !field(t[2], c.reason)) {
        return core::unexpected("bad corrupt-file line " + std::to_string(i));
      }
      r.corrupt.push_back(std::move(c));
      continue;
    }
    if (!r.corrupt.empty()) return core::unexpected("entry line after corrupt-file lines " + std::to_string(i));
    EntrySummary e;
    std::size_t n = 0;
    if (t.size() < 9 || t[0] != "ENTRY" || !valid_queue_id(t[1]) || !number(t[2], e.arrival) ||
        !number(t[3], e.attempts) || !number(t[4], e.next_try) || (t[5] != "0" && t[5] != "1") ||
        !field(t[6], e.sender) || !number(t[7], n) || n > t.size() || t.size() != 9 + n) {
      return core::unexpected("bad entry line " + std::to_string(i));
    }
    e.queue_id = std::string(t[1]);
    e.active = t[5] == "1";
    for (std::size_t k = 0; k < n; ++k) {
      std::string rcpt;
      if (!field(t[8 + k], rcpt)) return core::unexpected("bad recipient in entry line " + std::to_string(i));
      e.recipients.push_back(std::move(rcpt));
    }
    if (!field(t[8 + n], e.last_error)) return core::unexpected("bad error in entry line " + std::to_string(i));
    r.entries.push_back(std::move(e));
  }
  return r;
}

}  // namespace hikyaku::queue
